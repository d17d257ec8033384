"""Serializers of feature definitions (`/api/features/definitions`)."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import SymbolField

from ...models import FeatureDefinition


class DefinitionWriteSerializer(serializers.Serializer):
    """Shape only; the service checks the function, its parameters, output and interval."""

    name = serializers.CharField(max_length=64, help_text="Lowercase letters, digits and _ (e.g. rsi_14).")
    function = serializers.CharField(
        max_length=64, help_text="A catalogue name (RSI, MACD) or an extra kernel (log_returns, amihud)."
    )
    params = serializers.DictField(required=False, help_text="Parameters by name; the others take defaults.")
    output = serializers.CharField(
        required=False, help_text="Which output (multi-output functions); default its first."
    )
    interval = serializers.CharField(
        required=False, default="1d", help_text="A bar interval: 1m ... 1d, 1w, 1mo."
    )
    adjusted = serializers.BooleanField(required=False, default=True)
    benchmark = SymbolField(
        required=False,
        allow_blank=True,
        default="",
        help_text="The benchmark's symbol: required by rolling_beta and rolling_correlation, refused "
        "for every other function.",
    )


class DefinitionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = FeatureDefinition
        fields = [
            "name",
            "version",
            "function",
            "params",
            "output",
            "interval",
            "adjusted",
            "benchmark",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class DefinitionHistorySerializer(serializers.Serializer):
    name = serializers.CharField()
    versions = DefinitionSerializer(many=True, help_text="Every version, oldest first.")
