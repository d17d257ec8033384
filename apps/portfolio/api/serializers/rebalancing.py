"""Request shapes of the rebalancing endpoints."""

from __future__ import annotations

from rest_framework import serializers


class RebalanceSerializer(serializers.Serializer):
    optimization = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    target_weights = serializers.DictField(
        child=serializers.FloatField(min_value=-10, max_value=10), required=False, allow_empty=False
    )
    lot_sizes = serializers.DictField(
        child=serializers.FloatField(min_value=1e-10, max_value=1e9), required=False, default=dict
    )
    cash_buffer = serializers.FloatField(required=False, default=0.0, min_value=0.0, max_value=1.0)

    def validate(self, attrs):
        if ("optimization" in attrs) == ("target_weights" in attrs):
            raise serializers.ValidationError(
                {"optimization": "give an optimization or target_weights (one)"}
            )
        return attrs


class AcceptSerializer(serializers.Serializer):
    override_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class OrderSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    side = serializers.ChoiceField(choices=["buy", "sell"])
    lots = serializers.FloatField()
    lot_size = serializers.FloatField()
    quantity = serializers.CharField()
    price = serializers.CharField()
    currency = serializers.CharField()


class ProposalSerializer(serializers.Serializer):
    """A proposal's document (selectors/optimizations.py: proposal_document)."""

    id = serializers.IntegerField()
    portfolio = serializers.CharField()
    optimization = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    orders = OrderSerializer(many=True)
    nav = serializers.CharField()
    cash_before = serializers.CharField()
    cash_after = serializers.CharField()
    risk = serializers.DictField()
    override_reason = serializers.CharField(allow_null=True)
