"""Upload requests (multipart). Everything a worker would only discover later is refused here
with a field message: no file, an unknown format, a bad interval, booleans that are not booleans."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from rest_framework import serializers

from apps.platform.fields import SymbolField, TimestampField, printable_validator

from ...models import CURRENCY_RE, INTERVALS
from ...selectors.ingest.reading import _EXTENSIONS, FORMATS


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV, Parquet or JSON")
    format = serializers.ChoiceField(
        choices=FORMATS, required=False, help_text="only needed when the file name has no known extension"
    )
    skip_invalid = serializers.BooleanField(
        default=False,
        help_text="write the valid rows and report the others (default: a bad row rejects the file)",
    )

    def validate(self, attrs: dict) -> dict:
        upload = attrs["file"]
        limit = settings.MARKETDATA_UPLOAD_MAX_BYTES
        if upload.size == 0:
            raise serializers.ValidationError({"file": "the file is empty"})
        if upload.size > limit:
            raise serializers.ValidationError({"file": f"larger than {limit} bytes"})
        ext = Path(upload.name or "").suffix.lower()
        if not attrs.get("format") and ext not in _EXTENSIONS:
            known = ", ".join(sorted(_EXTENSIONS))
            raise serializers.ValidationError(
                {"file": f"unknown format {ext or '(no extension)'!r}: use {known} or give format"}
            )
        return attrs


class BarsUploadSerializer(UploadSerializer):
    symbol = SymbolField(required=False, allow_blank=True, help_text="when the file has no symbol column")
    interval = serializers.ChoiceField(choices=INTERVALS, default="1d")
    create_instruments = serializers.BooleanField(default=False)


class SeriesUploadSerializer(UploadSerializer):
    code = serializers.CharField(
        max_length=64, required=False, allow_blank=True, validators=[printable_validator]
    )
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    frequency = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    units = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    known_at = TimestampField(
        required=False, help_text="when the values became known (default: now; or a realtime_start column)"
    )


class FundamentalsUploadSerializer(UploadSerializer):
    symbol = SymbolField(required=False, allow_blank=True)
    reported_at = TimestampField(required=False, help_text="default for rows without reported_at")
    create_instruments = serializers.BooleanField(default=False)


class FxUploadSerializer(UploadSerializer):
    base = serializers.RegexField(
        CURRENCY_RE, required=False, help_text="when the file has no base/pair column"
    )
    quote = serializers.RegexField(CURRENCY_RE, required=False)
