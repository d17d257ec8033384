"""Output shape of an open position."""

from __future__ import annotations

from decimal import Decimal, localcontext

from django.utils import timezone
from rest_framework import serializers

from ... import selectors
from ...models import QTY, Position
from .fields import decimal_out


class PositionSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    name = serializers.CharField(source="instrument.name", read_only=True)
    quantity = decimal_out(QTY, read_only=True)
    average_cost = decimal_out(QTY, read_only=True)
    cost_value = serializers.SerializerMethodField(help_text="quantity × average cost")

    class Meta:
        model = Position
        fields = ["instrument_id", "symbol", "name", "quantity", "average_cost", "cost_value", "updated_at"]

    def get_cost_value(self, obj: Position) -> str:
        # The product of two 28-digit columns can need more digits than the default context's 28.
        with localcontext() as ctx:
            ctx.prec = 60
            return format((obj.quantity * obj.average_cost).quantize(Decimal("1e-8")), "f")


_PLACES = Decimal(1).scaleb(-QTY["decimal_places"])
_COST_PLACES = Decimal("1e-8")


def positions_data(rows) -> list[dict]:
    """What PositionSerializer(many=True) answers, from selectors.position_rows' tuples, without a
    model instance or a field object per row (the same formatting: DecimalField quantizes to the
    column's places and writes it with format "f"; the test holds the two equal)."""
    out = []
    # the current timezone fixed once: the field looks it up per value otherwise (most of the time)
    updated = serializers.DateTimeField(default_timezone=timezone.get_current_timezone())
    with localcontext() as ctx:
        ctx.prec = 60  # as get_cost_value: the product can need more than 28 digits
        for instrument_id, symbol, name, quantity, average_cost, updated_at in rows:
            out.append(
                {
                    "instrument_id": instrument_id,
                    "symbol": symbol,
                    "name": name,
                    "quantity": format(quantity.quantize(_PLACES), "f"),
                    "average_cost": format(average_cost.quantize(_PLACES), "f"),
                    "cost_value": format((quantity * average_cost).quantize(_COST_PLACES), "f"),
                    "updated_at": updated.to_representation(updated_at),
                }
            )
    return out


FIELDS = PositionSerializer.Meta.fields


def book_positions(portfolio_id: int) -> list[dict]:
    """What PositionSerializer(many=True) answers for the portfolio's open positions: from rows
    PostgreSQL already wrote as text (selectors.position_text_rows; a 500-position read spent most
    of its time formatting Decimals and datetimes in Python), else from typed rows (positions_data).
    The tests hold both equal to the model serializer."""
    rows = selectors.position_text_rows(portfolio_id)
    if rows is None:
        return positions_data(selectors.position_rows(portfolio_id))
    return [dict(zip(FIELDS, row, strict=True)) for row in rows]
