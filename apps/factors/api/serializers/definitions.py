"""Serializers of factor definitions (`/api/factors/definitions`)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import FactorDefinition

FORMULA_MAX = 4000


class FactorDefinitionQuerySerializer(serializers.Serializer):
    library = serializers.CharField(
        required=False, allow_blank=True, max_length=32, help_text='"alpha158", ...; empty: users\' own.'
    )
    search = serializers.CharField(
        required=False, max_length=100, help_text="Part of the name, description or formula, any case."
    )


class FactorDefinitionWriteSerializer(serializers.Serializer):
    """Shape only; the service checks the name's characters, the formula and the interval."""

    name = serializers.CharField(max_length=96, help_text="Letters, digits, _ and . (e.g. mom_20).")
    formula = serializers.CharField(max_length=FORMULA_MAX, help_text="e.g. Mean($close, 20)/$close")
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    library = serializers.CharField(required=False, allow_blank=True, max_length=32, default="")
    interval = serializers.CharField(required=False, max_length=4, default="1d")
    adjusted = serializers.BooleanField(required=False, default=True)


class FactorDefinitionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = FactorDefinition
        fields = [
            "id",
            "name",
            "version",
            "formula",
            "canonical",
            "digest",
            "lookback",
            "library",
            "description",
            "interval",
            "adjusted",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class FactorDefinitionHistorySerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    versions = FactorDefinitionSerializer(many=True, read_only=True, help_text="Every version, oldest first.")
