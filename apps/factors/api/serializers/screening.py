"""Serializers of screening (`POST /api/factors/screen`): the request; the answer is a job whose
result is described by ScreenResultSerializer."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import BoundedIntegerField, InstantTextField, SymbolField

from ...kernels.generated import GENERATED_COUNT
from .analyses import MAX_SYMBOLS

MAX_SCREEN = 50_000


class ScreenSerializer(serializers.Serializer):
    library = serializers.ChoiceField(
        choices=["generated", "alpha158", "alpha101"],
        default="generated",
        help_text=f"The generated catalogue ({GENERATED_COUNT:,} factors) or a library.",
    )
    first = BoundedIntegerField(
        min_value=0, max_value=GENERATED_COUNT - 1, default=0, help_text="First entry."
    )
    count = BoundedIntegerField(
        min_value=1, max_value=MAX_SCREEN, default=1000, help_text="Entries to screen."
    )
    symbols = serializers.ListField(child=SymbolField(), required=False, min_length=2, max_length=MAX_SYMBOLS)
    universe = serializers.ChoiceField(choices=["all"], required=False)
    start = InstantTextField(help_text="Window start (inclusive).")
    end = InstantTextField(help_text="Window end (exclusive).")
    horizon = BoundedIntegerField(min_value=1, max_value=250, default=1, help_text="Forward return in bars.")
    top = BoundedIntegerField(min_value=1, max_value=1000, default=50, help_text="Rows in the result.")

    def validate(self, attrs):
        if ("symbols" in attrs) == ("universe" in attrs):
            raise serializers.ValidationError({"symbols": ['give either symbols or universe "all"']})
        return attrs


class ScreenedSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    formula = serializers.CharField(read_only=True)
    mean_ic = serializers.FloatField(read_only=True, allow_null=True)
    icir = serializers.FloatField(read_only=True, allow_null=True)
    t_stat = serializers.FloatField(read_only=True, allow_null=True)
    p_value = serializers.FloatField(read_only=True, allow_null=True)
    p_value_adjusted = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Benjamini-Hochberg over every factor screened."
    )
    n_dates = serializers.IntegerField(read_only=True)


class ScreenResultSerializer(serializers.Serializer):
    """The job's result."""

    screened = serializers.IntegerField(read_only=True)
    failed = serializers.DictField(child=serializers.CharField(), read_only=True)
    dates = serializers.IntegerField(read_only=True)
    symbols = serializers.IntegerField(read_only=True)
    evaluations_per_second = serializers.FloatField(read_only=True, allow_null=True)
    best_is_lucky = serializers.BooleanField(read_only=True, allow_null=True)
    best_deflated_p_value = serializers.FloatField(read_only=True, allow_null=True)
    top = ScreenedSerializer(many=True, read_only=True)
