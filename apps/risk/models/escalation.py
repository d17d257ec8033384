"""Escalation policies (levels with a delay and channels) and the record of every alert sent.

A breach not acknowledged climbs its policy's levels on time: level n fires `delay_seconds` after
the breach opened. Each (breach, level, channel, target) is delivered at most once: the unique
constraint makes a re-run of the escalation tick a no-op, and webhook retries update the same row.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class AlertChannel(models.TextChoices):
    BUS = "bus", "Bus alert (risk.alerts.*)"
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook POST"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class EscalationPolicy(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False, help_text="Used by limits that name no policy.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "escalation policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="risk_policy_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField(help_text="1, 2, 3 ... in the order they fire.")
    delay_seconds = models.PositiveIntegerField(help_text="Seconds after the breach opened.")
    channels = models.JSONField(default=list, help_text='Any of "bus", "email", "webhook".')
    emails = models.TextField(blank=True, help_text="Comma-separated recipients for the email channel.")
    webhook_url = models.URLField(blank=True)

    class Meta:
        ordering = ["policy_id", "level"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "level"], name="risk_level_unique_per_policy"),
            models.CheckConstraint(condition=Q(level__gte=1), name="risk_level_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} L{self.level} after {self.delay_seconds}s"


class AlertDelivery(models.Model):
    breach = models.ForeignKey("risk.Breach", on_delete=models.CASCADE, related_name="deliveries")
    level = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=16, choices=AlertChannel.choices)
    target = models.CharField(max_length=500, blank=True, help_text="Topic, address or URL.")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "alert deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["breach", "level", "channel", "target"], name="risk_delivery_once_per_target"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=AlertChannel.values), name="risk_delivery_channel_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="risk_delivery_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} L{self.level} for breach {self.breach_id}: {self.status}"
