"""Requests and answers of /api/websocket/: connections, subscriptions, stats."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform import bus
from apps.platform.fields import BIGINT_RANGE

from ...kernels.filters import FilterError, compile_filter
from ..messages import MAX_PATTERNS

FEEDS = ("stream", "market", "portfolio", "risk")
CONN_ID_MAX = 100


class ConnectionsRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["list", "close"])
    connection_id = serializers.CharField(max_length=CONN_ID_MAX, required=False, help_text="For close.")
    reason = serializers.CharField(max_length=120, required=False, help_text="Close reason the client sees.")
    user_id = serializers.IntegerField(
        min_value=1,
        max_value=BIGINT_RANGE[1],
        required=False,
        help_text="List: only this user's connections.",
    )
    feed = serializers.ChoiceField(
        choices=FEEDS, required=False, help_text="List: only this feed's connections."
    )

    def validate(self, attrs):
        if attrs["action"] == "close" and not attrs.get("connection_id"):
            raise serializers.ValidationError({"connection_id": "Required to close a connection."})
        return attrs


class SubscriptionsRequestSerializer(serializers.Serializer):
    connection_id = serializers.CharField(max_length=CONN_ID_MAX)
    action = serializers.ChoiceField(choices=["add", "remove"])
    patterns = serializers.ListField(
        child=serializers.CharField(max_length=255), min_length=1, max_length=MAX_PATTERNS
    )
    filters = serializers.JSONField(required=False, help_text="As on ws/stream's subscribe; add only.")

    def validate_patterns(self, value):
        for p in value:
            try:
                bus.validate_pattern(p)
            except ValueError as exc:
                raise serializers.ValidationError(str(exc)) from None
        return value

    def validate_filters(self, value):
        try:
            compile_filter(value)
        except FilterError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value


class ConnectionSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    feed = serializers.CharField(read_only=True)
    path = serializers.CharField(read_only=True)
    user = serializers.CharField(read_only=True, allow_null=True)
    user_id = serializers.IntegerField(read_only=True, allow_null=True)
    connected_at = serializers.FloatField(read_only=True, help_text="Epoch seconds.")
    patterns = serializers.ListField(child=serializers.CharField(), read_only=True)
    filtered = serializers.ListField(child=serializers.CharField(), read_only=True)
    received = serializers.IntegerField(read_only=True)
    sent = serializers.IntegerField(read_only=True)
    queued = serializers.IntegerField(read_only=True)
    dropped = serializers.IntegerField(read_only=True)
    conflated = serializers.IntegerField(read_only=True)


class ConnectionListSerializer(serializers.Serializer):
    connections = ConnectionSerializer(many=True, read_only=True)


class ConnectionClosedSerializer(serializers.Serializer):
    closed = serializers.CharField(read_only=True, help_text="The id of the connection closed.")


class SubscriptionsResponseSerializer(serializers.Serializer):
    connection_id = serializers.CharField(read_only=True)
    patterns = serializers.ListField(child=serializers.CharField(), read_only=True)


class LatencySerializer(serializers.Serializer):
    p50 = serializers.FloatField(read_only=True, allow_null=True)
    p99 = serializers.FloatField(read_only=True, allow_null=True)
    samples = serializers.IntegerField(read_only=True)


class ProcessStatsSerializer(serializers.Serializer):
    process = serializers.CharField(read_only=True)
    at = serializers.FloatField(read_only=True)
    connections = serializers.IntegerField(read_only=True)
    messages_in = serializers.IntegerField(read_only=True)
    messages_out = serializers.IntegerField(read_only=True)
    dropped = serializers.IntegerField(read_only=True)
    conflated = serializers.IntegerField(read_only=True)
    in_per_s = serializers.FloatField(read_only=True)
    out_per_s = serializers.FloatField(read_only=True)


class StatsSerializer(serializers.Serializer):
    processes = serializers.IntegerField(read_only=True)
    connections = serializers.IntegerField(read_only=True)
    messages_in = serializers.IntegerField(read_only=True)
    messages_out = serializers.IntegerField(read_only=True)
    dropped = serializers.IntegerField(read_only=True)
    conflated = serializers.IntegerField(read_only=True)
    in_per_s = serializers.FloatField(read_only=True)
    out_per_s = serializers.FloatField(read_only=True)
    subscriptions = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    latency_ms = LatencySerializer(read_only=True)
    per_process = ProcessStatsSerializer(many=True, read_only=True)
