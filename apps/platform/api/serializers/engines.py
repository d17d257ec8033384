"""The shapes of GET /api/engines/ and /api/engines/{engine}/health, for the OpenAPI document only:
the views build these answers from workers/registry.py and health.engines_health()."""

from __future__ import annotations

from rest_framework import serializers

from ...health import DEGRADED, OK, UNHEALTHY

ENGINE_STATUSES = [OK, DEGRADED, UNHEALTHY]


class LastTaskSerializer(serializers.Serializer):
    name = serializers.CharField()
    state = serializers.CharField()
    task_id = serializers.CharField()
    finished_at = serializers.DateTimeField(allow_null=True)


class EngineHealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ENGINE_STATUSES)
    reasons = serializers.ListField(child=serializers.CharField(), help_text="why it is not ok")
    queue = serializers.CharField()
    workers = serializers.ListField(child=serializers.CharField(), help_text="worker nodes consuming it")
    worker_count = serializers.IntegerField()
    queue_depth = serializers.IntegerField(allow_null=True, help_text="null when the broker is unreachable")
    checks = serializers.ListField(
        child=serializers.CharField(),
        help_text="the engine's own findings (its facade's health_checks()); any degrades it",
    )
    last_task = LastTaskSerializer(allow_null=True)
    workers_checked_at = serializers.DateTimeField(
        allow_null=True, help_text="when the workers were last asked (null when they could not be)"
    )


class EngineHealthDetailSerializer(EngineHealthSerializer):
    engine = serializers.CharField()


class LaneSerializer(serializers.Serializer):
    name = serializers.CharField()
    pool = serializers.CharField()
    concurrency = serializers.IntegerField()


class EngineSerializer(serializers.Serializer):
    key = serializers.CharField()
    queue = serializers.CharField()
    url_prefix = serializers.CharField()
    pool = serializers.CharField()
    concurrency = serializers.IntegerField()
    lanes = LaneSerializer(many=True)
    memory_gb = serializers.FloatField()
    soft_time_limit = serializers.IntegerField()
    time_limit = serializers.IntegerField()
    priority = serializers.CharField()
    description = serializers.CharField()
    health = EngineHealthSerializer()
