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


POSITION_COLUMNS = (
    "instrument_id",
    "instrument__symbol",
    "instrument__name",
    "quantity",
    "average_cost",
    "updated_at",
)


def position_rows(portfolio_id: int) -> list[tuple]:
    """The open positions as plain tuples of POSITION_COLUMNS, by symbol: one joined query and no
    model instances (the book read of a 500-position portfolio spent most of its time building them)."""
    return list(
        Position.objects.filter(portfolio_id=portfolio_id)
        .order_by("instrument__symbol")
        .values_list(*POSITION_COLUMNS)
    )
