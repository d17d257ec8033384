"""Serializers of stored feature values (`GET /api/features/values`)."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import InstantTextField

FORMATS = ("json", "csv", "parquet")


class CommaListField(serializers.CharField):
    """Comma-separated items, blanks and duplicates dropped, order kept."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        return list(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))


class ValuesQuerySerializer(serializers.Serializer):
    symbols = CommaListField(help_text="Comma-separated symbols.")
    features = CommaListField(
        required=False, default=list, help_text='Comma-separated: "rsi_14" or "rsi_14@1".'
    )
    set = serializers.CharField(
        required=False, max_length=64, help_text="A feature set: its pinned versions."
    )
    start = InstantTextField(required=False, help_text="Bars from here (inclusive).")
    end = InstantTextField(required=False, help_text="Bars before here (a bare date includes its day).")
    as_of = InstantTextField(
        required=False, help_text="Only values known at or before this instant (known_at = the bar's close)."
    )
    format = serializers.ChoiceField(choices=FORMATS, default="json")
