"""Reads of open positions."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import Portfolio, Position


def positions_of(portfolio: Portfolio) -> QuerySet[Position]:
    return (
        Position.objects.filter(portfolio=portfolio)
        .select_related("instrument")
        .order_by("instrument__symbol")
    )
