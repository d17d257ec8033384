"""Instrument input validation and output shape."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from apps.platform.fields import ColumnDecimalField, printable_problem

from ...models import Instrument
from ...selectors.instruments import instrument_by_symbol, normalize_symbol


class InstrumentSerializer(serializers.ModelSerializer):
    lot_size = ColumnDecimalField(
        Instrument._meta.get_field("lot_size"), min_value=Decimal("0"), required=False, coerce_to_string=True
    )
    # Declared (not derived from the model) so lower-case input is upper-cased before it is judged.
    currency = serializers.CharField(max_length=3, required=False, default="USD")

    class Meta:
        model = Instrument
        fields = [
            "id",
            "symbol",
            "name",
            "asset_class",
            "currency",
            "exchange",
            "sector",
            "industry",
            "country",
            "lot_size",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_symbol(self, value: str) -> str:
        symbol = normalize_symbol(value)
        if not symbol:
            raise serializers.ValidationError("This field may not be blank.")
        if printable_problem(symbol):
            raise serializers.ValidationError(printable_problem(symbol))
        if self.instance is not None and symbol != self.instance.symbol:
            raise serializers.ValidationError("The symbol of an existing instrument cannot change.")
        if self.instance is None and instrument_by_symbol(symbol) is not None:
            raise serializers.ValidationError("An instrument with this symbol already exists.")
        return symbol

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise serializers.ValidationError("Use a 3-letter ISO 4217 code, e.g. USD.")
        return value

    def validate_lot_size(self, value: Decimal) -> Decimal:
        if value <= 0:
            raise serializers.ValidationError("Lot size must be greater than zero.")
        return value
