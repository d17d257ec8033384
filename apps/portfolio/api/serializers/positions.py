"""Output shape of an open position."""

from __future__ import annotations

from decimal import Decimal, localcontext

from rest_framework import serializers

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
