"""Reads of portfolios: the ones a user may view, one by code."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import Portfolio
from .access import visible_q


def portfolios_visible_to(user) -> QuerySet[Portfolio]:
    qs = Portfolio.objects.select_related("owner", "group", "benchmark")
    q = visible_q(user)
    return qs if q is None else qs.filter(q).distinct()


def portfolio_by_code(code: str) -> Portfolio | None:
    return Portfolio.objects.select_related("owner", "group", "benchmark").filter(code=code).first()


def portfolio_code_taken(code: str) -> bool:
    return Portfolio.objects.filter(code=code).exists()


def portfolios_for_lookup(*, positions: bool = False) -> QuerySet[Portfolio]:
    """All portfolios (views addressed by code look one up, then check the caller may see it), with
    owner, group and benchmark joined; with `positions`, their positions and instruments prefetched."""
    qs = Portfolio.objects.select_related("owner", "group", "benchmark")
    return qs.prefetch_related("positions__instrument") if positions else qs
