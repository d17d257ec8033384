"""Serializers of `POST /api/factors/calculate`: the request's shape (the selector resolves names,
symbols and the window) and the JSON answer's shape (read-only)."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import InstantTextField, SymbolField

from .definitions import FORMULA_MAX

FORMATS = ("json", "csv", "parquet")


class FactorCalculateSerializer(serializers.Serializer):
    formula = serializers.CharField(
        required=False, max_length=FORMULA_MAX, help_text="One formula, e.g. Mean($close, 20)/$close."
    )
    formulas = serializers.ListField(
        child=serializers.CharField(max_length=FORMULA_MAX),
        required=False,
        help_text="Several formulas (at most FACTORS_MAX_FORMULAS), evaluated together.",
    )
    factors = serializers.ListField(
        child=serializers.CharField(max_length=110),
        required=False,
        help_text='Stored definitions: "name" (latest version) or "name@version".',
    )
    symbols = serializers.ListField(child=SymbolField(), required=False, help_text="Instruments by symbol.")
    universe = serializers.ChoiceField(
        choices=["all"], required=False, help_text='"all": every active instrument (instead of symbols).'
    )
    start = InstantTextField(help_text="First date (inclusive); the look-back is read from before it.")
    end = InstantTextField(help_text="Last date (exclusive; a bare date includes its day).")
    interval = serializers.CharField(required=False, max_length=4, default="1d")
    adjusted = serializers.BooleanField(required=False, default=True)
    format = serializers.ChoiceField(
        choices=FORMATS, default="json", help_text="json: dates x symbols matrices; csv/parquet: long form."
    )


class FactorValuesFactorSerializer(serializers.Serializer):
    label = serializers.CharField(read_only=True, help_text='"name@version", or the formula as written.')
    formula = serializers.CharField(read_only=True, help_text="As written.")
    canonical = serializers.CharField(read_only=True, help_text="Aliases resolved, one spelling.")
    values = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        read_only=True,
        help_text="One row per date, one column per symbol; null where undefined (warm-up, no bar).",
    )


class FactorValuesSerializer(serializers.Serializer):
    dates = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="Bar starts, UTC.")
    symbols = serializers.ListField(child=serializers.CharField(), read_only=True)
    factors = FactorValuesFactorSerializer(many=True, read_only=True)
    fingerprint = serializers.CharField(
        read_only=True, help_text="Of the data read: equal data, equal value."
    )
