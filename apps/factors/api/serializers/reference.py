"""Serializers of the language's reference (`GET /api/factors/operators`, `GET /api/factors/fields`).
The answers' fields are read-only: they describe, they take nothing in."""

from __future__ import annotations

from rest_framework import serializers

from ...selectors.reference import CATEGORY_ORDER


class FactorOperatorsQuerySerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=CATEGORY_ORDER, required=False)
    name = serializers.CharField(
        required=False, max_length=64, help_text="Part of a name or alias, any case, e.g. 'corr'."
    )


class FactorOperatorArgSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    kind = serializers.CharField(
        read_only=True,
        help_text="series: a (dates x instruments) panel (a number is broadcast); number: a constant; "
        "window: a count of rows (floored, >= 1); group: a group field ($sector, $industry).",
    )
    default = serializers.FloatField(read_only=True, allow_null=True, help_text="null: required.")


class FactorOperatorSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True, help_text="Canonical name, used in stored formulas.")
    aliases = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Other spellings (Qlib's, the 101 alphas')."
    )
    category = serializers.CharField(read_only=True)
    args = FactorOperatorArgSerializer(many=True, read_only=True)
    variadic = serializers.BooleanField(read_only=True, help_text="The last argument may repeat.")
    doc = serializers.CharField(read_only=True, help_text="What it computes; its NaN and window semantics.")


class FactorFieldSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True, help_text="Written with a $ in formulas: $close.")
    kind = serializers.CharField(read_only=True, help_text="series or group")
    doc = serializers.CharField(read_only=True)
