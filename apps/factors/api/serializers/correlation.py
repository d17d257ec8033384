"""Serializers of factor correlation (`/api/factors/correlation`)."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import InstantTextField

from .analyses import FactorRefSerializer, FactorsOverWindowSerializer


class CorrelationQuerySerializer(serializers.Serializer):
    against = serializers.CharField(
        max_length=20_000, help_text='Comma-separated ids or "name"/"name@version".'
    )
    symbols = serializers.CharField(
        required=False,
        max_length=200_000,
        help_text="Comma-separated; default: the factor's latest analysis's.",
    )
    start = InstantTextField(required=False, help_text="Default: the factor's latest analysis's.")
    end = InstantTextField(required=False, help_text="Default: the factor's latest analysis's.")

    def validate_against(self, value: str) -> list[str]:
        items = [v.strip() for v in value.split(",") if v.strip()]
        if not items:
            raise serializers.ValidationError("give at least one factor")
        return items

    def validate_symbols(self, value: str) -> list[str]:
        return [v.strip() for v in value.split(",") if v.strip()]


class CorrelationMatrixSerializer(FactorsOverWindowSerializer):
    pass


class WindowFieldsMixin(serializers.Serializer):
    symbols = serializers.ListField(child=serializers.CharField(), read_only=True)
    dates = serializers.IntegerField(read_only=True)
    first_date = serializers.DateTimeField(read_only=True)
    last_date = serializers.DateTimeField(read_only=True)


class CorrelationRowSerializer(serializers.Serializer):
    factor = FactorRefSerializer(read_only=True)
    rank_correlation = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Mean over dates of the cross-sectional Spearman correlation.",
    )
    ic_correlation = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Correlation over dates of the daily rank ICs."
    )
    spread_correlation = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Correlation over dates of the daily top-minus-bottom returns.",
    )


class FactorCorrelationSerializer(WindowFieldsMixin):
    factor = FactorRefSerializer(read_only=True)
    against = CorrelationRowSerializer(many=True, read_only=True)


class CorrelationMatrixResponseSerializer(WindowFieldsMixin):
    factors = FactorRefSerializer(many=True, read_only=True)
    rank_correlation = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)), read_only=True
    )
    ic_correlation = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)), read_only=True
    )
    spread_correlation = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)), read_only=True
    )
