"""Read queries over the book of record."""

from __future__ import annotations

from django.db.models import QuerySet

from . import permissions
from .models import Portfolio, Position, Transaction


def portfolios_visible_to(user) -> QuerySet[Portfolio]:
    qs = Portfolio.objects.select_related("owner", "group", "benchmark")
    q = permissions.visible_q(user)
    return qs if q is None else qs.filter(q).distinct()


def portfolio_by_code(code: str) -> Portfolio | None:
    return Portfolio.objects.select_related("owner", "group", "benchmark").filter(code=code).first()


def positions_of(portfolio: Portfolio) -> QuerySet[Position]:
    return (
        Position.objects.filter(portfolio=portfolio)
        .select_related("instrument")
        .order_by("instrument__symbol")
    )


def transactions_visible_to(user) -> QuerySet[Transaction]:
    qs = Transaction.objects.select_related("portfolio", "instrument", "created_by")
    q = permissions.visible_q(user)
    if q is None:
        return qs
    return qs.filter(portfolio__in=Portfolio.objects.filter(q))


def transactions_of(portfolio: Portfolio) -> QuerySet[Transaction]:
    """In booking order: the order in which the service applied them to positions."""
    return Transaction.objects.filter(portfolio=portfolio).select_related("instrument").order_by("id")
