"""Reads of transactions: the ones a user may view, a portfolio's in booking order."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import Portfolio, Transaction
from .access import visible_q


def transactions_visible_to(user) -> QuerySet[Transaction]:
    qs = Transaction.objects.select_related("portfolio", "instrument", "created_by")
    q = visible_q(user)
    if q is None:
        return qs
    return qs.filter(portfolio__in=Portfolio.objects.filter(q))


def transactions_of(portfolio: Portfolio) -> QuerySet[Transaction]:
    """In booking order: the order in which the service applied them to positions."""
    return Transaction.objects.filter(portfolio=portfolio).select_related("instrument").order_by("id")
