"""Serializers of the feature catalogue (`GET /api/features/catalog`)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...selectors.catalog import catalog_groups


class CatalogQuerySerializer(serializers.Serializer):
    group = serializers.CharField(
        required=False, help_text="One of TA-Lib's groups, e.g. 'Momentum Indicators'."
    )
    name = serializers.CharField(
        required=False, max_length=32, help_text="Part of a function name, e.g. 'MA'."
    )

    def validate_group(self, value: str) -> str:
        groups = catalog_groups()
        if value not in groups:
            raise serializers.ValidationError(f"Unknown group {value!r}; one of: {', '.join(groups)}.")
        return value


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A number as it is: an integer parameter stays an integer (`timeperiod: 14`, not 14.0)."""

    def to_representation(self, value):
        return value


class ParameterSerializer(serializers.Serializer):
    name = serializers.CharField()
    default = NumberField()
    kind = serializers.CharField(help_text="integer, real or matype (a moving-average type code)")
    minimum = NumberField(allow_null=True)
    maximum = NumberField(allow_null=True)


class FunctionSerializer(serializers.Serializer):
    name = serializers.CharField()
    group = serializers.CharField()
    display_name = serializers.CharField()
    input_kind = serializers.CharField(
        help_text="price: reads OHLCV fields; real: one series (close by default)"
    )
    inputs = serializers.ListField(child=serializers.CharField())
    parameters = ParameterSerializer(many=True)
    outputs = serializers.ListField(child=serializers.CharField())
    flags = serializers.ListField(child=serializers.CharField())
