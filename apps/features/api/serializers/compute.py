"""Serializers of the compute job (`POST /api/features/compute`)."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import InstantTextField


class ComputeSymbolsField(serializers.JSONField):
    """A list of symbols, or the text "all" (every active instrument)."""

    def to_internal_value(self, data):
        if data == "all":
            return "all"
        if not isinstance(data, list) or not all(isinstance(s, str) for s in data):
            raise serializers.ValidationError('Give a list of symbols, e.g. ["AAPL", "MSFT"], or "all".')
        return data


class ComputeSerializer(serializers.Serializer):
    symbols = ComputeSymbolsField(help_text='Symbols, or "all" for every active instrument.')
    features = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        default=list,
        help_text='Definitions: "rsi_14" (latest version) or "rsi_14@1".',
    )
    set = serializers.CharField(
        required=False, max_length=64, help_text="A feature set: its pinned versions."
    )
    interval = serializers.CharField(
        required=False, max_length=4, help_text="If given, every feature asked must be at this interval."
    )
    start = InstantTextField(
        required=False, help_text="Store bars from here (inclusive); warm-up reads before."
    )
    end = InstantTextField(required=False, help_text="Up to here (exclusive; a bare date includes its day).")
