"""Breaches (list, detail with timeline and deliveries), the breach list's query, action bodies, and
escalation policies with their levels nested."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import BoundedIntegerField, TimestampField

from ...kernels import catalog
from ...models import (
    AlertChannel,
    AlertDelivery,
    Breach,
    BreachEvent,
    BreachLevel,
    BreachStatus,
    EscalationPolicy,
)
from ...services.escalation import split_emails


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


class BreachSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="portfolio.code", read_only=True)
    acknowledged_by = serializers.SerializerMethodField()
    escalated_by = serializers.SerializerMethodField()
    resolved_by = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField()

    class Meta:
        model = Breach
        fields = [
            "id",
            "portfolio",
            "limit",
            "limit_type",
            "scope",
            "scope_value",
            "unit",
            "severity",
            "warn_threshold",
            "breach_threshold",
            "status",
            "active",
            "level",
            "first_value",
            "peak_value",
            "last_value",
            "peak_utilization",
            "last_utilization",
            "bucket",
            "opened_at",
            "last_seen_at",
            "below_since",
            "acknowledged_at",
            "acknowledged_by",
            "escalation_level",
            "escalated_at",
            "escalated_by",
            "next_escalation_at",
            "resolved_at",
            "resolved_by",
            "resolution",
            "note",
        ]
        read_only_fields = fields

    def get_acknowledged_by(self, obj) -> str | None:
        return _username(obj.acknowledged_by)

    def get_escalated_by(self, obj) -> str | None:
        return _username(obj.escalated_by)

    def get_resolved_by(self, obj) -> str | None:
        return _username(obj.resolved_by)

    def get_active(self, obj) -> bool:
        return obj.status != BreachStatus.RESOLVED


class BreachEventSerializer(serializers.ModelSerializer):
    by = serializers.SerializerMethodField()

    class Meta:
        model = BreachEvent
        fields = ["id", "at", "action", "by", "detail"]
        read_only_fields = fields

    def get_by(self, obj) -> str | None:
        return _username(obj.by)


class AlertDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertDelivery
        fields = [
            "id",
            "level",
            "channel",
            "target",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


class BreachDetailSerializer(BreachSerializer):
    events = BreachEventSerializer(many=True, read_only=True)
    deliveries = AlertDeliverySerializer(many=True, read_only=True)

    class Meta(BreachSerializer.Meta):
        fields = [*BreachSerializer.Meta.fields, "events", "deliveries"]
        read_only_fields = fields


class CommaListField(serializers.ListField):
    """A list from a query string: repeated (`?status=open&status=escalated`) or comma-separated."""

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist"):
            raw = dictionary.getlist(self.field_name)
            if not raw:
                return serializers.empty
            return [part.strip() for item in raw for part in item.split(",") if part.strip()]
        return super().get_value(dictionary)


class BreachQuerySerializer(serializers.Serializer):
    status = CommaListField(child=serializers.ChoiceField(choices=BreachStatus.values), required=False)
    level = serializers.ChoiceField(choices=BreachLevel.values, required=False)
    type = serializers.ChoiceField(choices=catalog.TYPE_CODES, required=False)
    severity = serializers.ChoiceField(choices=catalog.SEVERITIES, required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)
    since = TimestampField(required=False, help_text="opened_at at or after")
    until = TimestampField(required=False, help_text="opened_at before")

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": "Must be after since."})
        return attrs


class BreachActionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class BreachNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000)


class EmailListField(serializers.ListField):
    """Recipients as a list or one comma-separated string; always answered as a list."""

    child = serializers.EmailField()

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = list(split_emails(data))
        return super().to_internal_value(data)

    def to_representation(self, data):
        return list(split_emails(data)) if isinstance(data, str) else super().to_representation(data)


class EscalationLevelSerializer(serializers.Serializer):
    level = BoundedIntegerField(min_value=1, max_value=100)
    delay_seconds = BoundedIntegerField(min_value=0, max_value=30 * 86400)
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=AlertChannel.values), allow_empty=False, max_length=3
    )
    emails = EmailListField(required=False, default=list)
    webhook_url = serializers.URLField(required=False, allow_blank=True, default="", max_length=200)

    def validate_channels(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError("A channel may appear once.")
        return value

    def validate_webhook_url(self, value):
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Must be an http or https URL.")
        return value

    def validate(self, attrs):
        # A PATCH of the policy is partial, and DRF would then skip missing fields of nested levels too;
        # a level is always given whole.
        missing = {
            k: "This field is required." for k in ("level", "delay_seconds", "channels") if k not in attrs
        }
        if missing:
            raise serializers.ValidationError(missing)
        if "email" in attrs["channels"] and not attrs.get("emails"):
            raise serializers.ValidationError({"emails": "The email channel needs at least one address."})
        if "webhook" in attrs["channels"] and not attrs.get("webhook_url"):
            raise serializers.ValidationError({"webhook_url": "The webhook channel needs a URL."})
        return attrs


class EscalationPolicySerializer(serializers.ModelSerializer):
    levels = EscalationLevelSerializer(many=True, allow_empty=False)
    # Declared so DRF does not derive a uniqueness check from the one-default constraint: naming a new
    # default is allowed, the service demotes the old one.
    is_default = serializers.BooleanField(required=False, default=False)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "description", "is_default", "created_at", "levels"]
        read_only_fields = ["id", "created_at"]
        validators: list = []

    def validate_levels(self, value):
        ordered = sorted(value, key=lambda lv: lv["level"])
        numbers = [lv["level"] for lv in ordered]
        if numbers != list(range(1, len(ordered) + 1)):
            raise serializers.ValidationError(f"Levels must be numbered 1..{len(ordered)}; got {numbers}.")
        delays = [lv["delay_seconds"] for lv in ordered]
        if any(b < a for a, b in zip(delays, delays[1:], strict=False)):
            raise serializers.ValidationError(
                f"Delays must not decrease from one level to the next; got {delays}."
            )
        return ordered
