"""Feed start requests (validation) and feed sessions (output)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from apps.platform.fields import BoundedFloatField, BoundedIntegerField, SymbolField, TimestampField

from ...models import INTERVALS, FeedSession
from ...selectors.instruments import normalize_symbol
from ...services.feeds.sessions import LIVE_INTERVALS, MAX_DEPTH, MAX_RATE

MAX_SYMBOLS = 5_000
MAX_SPEED = 1e7


class _SymbolsField(serializers.ListField):
    """Symbols, upper-cased, duplicates dropped (order kept); empty or absent: all active instruments."""

    def __init__(self, **kw):
        super().__init__(
            child=SymbolField(),
            required=False,
            allow_empty=True,
            max_length=MAX_SYMBOLS,
            **kw,
        )

    def to_internal_value(self, data):
        if isinstance(data, str):  # "AAPL,MSFT" is accepted too
            data = [s for s in data.split(",") if s.strip()]
        values = [normalize_symbol(s) for s in super().to_internal_value(data)]
        return list(dict.fromkeys(v for v in values if v))


class LiveStartSerializer(serializers.Serializer):
    symbols = _SymbolsField(help_text="Symbols to feed; all active instruments when empty or absent.")
    rate = BoundedFloatField(default=1.0, min_value=0.0, max_value=MAX_RATE, help_text="Ticks/s per symbol.")
    interval = serializers.ChoiceField(
        choices=LIVE_INTERVALS, default="1m", help_text="Bars stored as they close."
    )
    seed = BoundedIntegerField(required=False, allow_null=True, min_value=0, max_value=2**32 - 1)
    depth = BoundedIntegerField(
        default=5, min_value=0, max_value=MAX_DEPTH, help_text="Level-2 levels; 0: none."
    )

    def validate_rate(self, value: float) -> float:
        if value <= 0:
            raise serializers.ValidationError("Must be greater than 0.")
        return value


class ReplayStartSerializer(serializers.Serializer):
    symbols = _SymbolsField(help_text="Symbols to replay; all active instruments when empty or absent.")
    interval = serializers.ChoiceField(choices=INTERVALS, default="1d")
    start = TimestampField(help_text="ISO 8601; UTC if no offset.")
    end = TimestampField(help_text="ISO 8601, inclusive; UTC if no offset.")
    speed = BoundedFloatField(default=60.0, min_value=0.0, max_value=MAX_SPEED, help_text="N× real time.")

    def validate_speed(self, value: float) -> float:
        if value <= 0:
            raise serializers.ValidationError("Must be greater than 0.")
        return value

    def validate(self, attrs):
        if attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"end": "Must be after start."})
        return attrs


class FeedSessionSerializer(serializers.ModelSerializer):
    symbols = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = FeedSession
        fields = [
            "id",
            "url",
            "mode",
            "state",
            "symbols",
            "config",
            "created_by",
            "created_at",
            "started_at",
            "stopped_at",
            "runner",
            "heartbeat_at",
            "ticks_published",
            "bars_published",
            "bars_stored",
            "last_tick_at",
            "error_count",
            "last_error",
        ]
        read_only_fields = fields

    def get_symbols(self, obj: FeedSession) -> list[str]:
        return obj.config.get("symbols", [])

    def get_created_by(self, obj: FeedSession) -> str | None:
        return obj.created_by.get_username() if obj.created_by_id else None

    def get_url(self, obj: FeedSession) -> str:
        path = reverse("marketdata:feed-detail", kwargs={"pk": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path
