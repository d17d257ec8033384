"""Input and output shapes of the calculate endpoint. The arithmetic lives in selectors.pnl, which
also shapes the answer (`calculate_payload`, shared with the streaming publication)."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import BoundedFloatField, JSONOnlyFieldsMixin, SymbolField


class PositionInputSerializer(serializers.Serializer):
    # Bounded (±1e15): quantity × price × FX stays finite, so the answer is valid JSON.
    symbol = SymbolField()
    quantity = BoundedFloatField(help_text="Signed: negative is short.")
    price = BoundedFloatField(
        required=False, allow_null=True, min_value=0.0, help_text="Valuation price; default the latest close."
    )
    cost_basis = BoundedFloatField(
        required=False,
        allow_null=True,
        help_text="Total cost of the position in the instrument's currency; gives unrealized P&L.",
    )

    def validate(self, attrs: dict) -> dict:
        if attrs["quantity"] == 0:
            raise serializers.ValidationError({"quantity": "Must not be zero."})
        return attrs


class CalculateRequestSerializer(JSONOnlyFieldsMixin, serializers.Serializer):
    json_only_fields = ("positions",)
    positions = PositionInputSerializer(
        many=True,
        required=False,
        allow_empty=False,
        help_text="Ad-hoc positions valued in the portfolio's base currency; omit for the stored book.",
    )


class PnlFiguresSerializer(serializers.Serializer):
    realized = serializers.FloatField(allow_null=True)
    unrealized = serializers.FloatField(allow_null=True)
    fees = serializers.FloatField(allow_null=True)
    dividends = serializers.FloatField(allow_null=True)
    total = serializers.FloatField(allow_null=True, help_text="realized + unrealized + dividends - fees")
    market_value = serializers.FloatField(allow_null=True)
    cost_basis = serializers.FloatField(allow_null=True)


class PnlSummarySerializer(PnlFiguresSerializer):
    daily = serializers.FloatField(allow_null=True, help_text="Change of total P&L since the previous close.")
    cash = serializers.FloatField()
    nav = serializers.FloatField(allow_null=True)


class PnlPositionSerializer(PnlFiguresSerializer):
    symbol = serializers.CharField(allow_null=True, help_text="null: portfolio-level fees")
    sector = serializers.CharField(allow_blank=True)
    currency = serializers.CharField(allow_blank=True)
    quantity = serializers.FloatField()
    price = serializers.FloatField(allow_null=True)
    fx_rate = serializers.FloatField(help_text="Base currency per unit of the instrument's currency.")


class PnlGroupSerializer(PnlFiguresSerializer):
    key = serializers.CharField(allow_blank=True)


class CalculateResponseSerializer(serializers.Serializer):
    portfolio = serializers.CharField()
    source = serializers.ChoiceField(choices=["book", "positions"])
    base_currency = serializers.CharField()
    cost_method = serializers.CharField()
    as_of = serializers.DateTimeField(allow_null=True, help_text="Timestamp of the latest price used.")
    summary = PnlSummarySerializer()
    positions = PnlPositionSerializer(many=True)
    by_sector = PnlGroupSerializer(many=True)
    by_currency = PnlGroupSerializer(many=True)
