"""Breaches: one row per limit and portfolio while the breach lasts, kept until it resolves.

"Never duplicated" is the database's job: a partial unique index allows one unresolved breach per
(limit, portfolio), so two monitors racing cannot both open one; the monitor upserts against it.
The limit's definition is copied at opening, so the record still reads right after the limit is
edited or deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class BreachStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"


class BreachLevel(models.TextChoices):
    WARN = "warn", "Warning"
    BREACH = "breach", "Breach"


def _user_fk():
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )


class Breach(models.Model):
    limit = models.ForeignKey(
        "risk.RiskLimit", on_delete=models.SET_NULL, null=True, blank=True, related_name="breaches"
    )
    portfolio = models.ForeignKey("portfolio.Portfolio", on_delete=models.CASCADE, related_name="+")
    # The limit as it was (kept when the limit changes or goes).
    limit_type = models.CharField(max_length=32)
    scope = models.CharField(max_length=16)
    scope_value = models.CharField(max_length=128, blank=True)
    unit = models.CharField(max_length=16)
    severity = models.CharField(max_length=16)
    warn_threshold = models.FloatField(null=True, blank=True)
    breach_threshold = models.FloatField()

    status = models.CharField(max_length=16, choices=BreachStatus.choices, default=BreachStatus.OPEN)
    level = models.CharField(max_length=8, choices=BreachLevel.choices, help_text="Highest level reached.")
    first_value = models.FloatField()
    peak_value = models.FloatField()
    last_value = models.FloatField()
    peak_utilization = models.FloatField()
    last_utilization = models.FloatField()
    bucket = models.CharField(
        max_length=128, blank=True, help_text="The bucket at fault (largest position...)."
    )

    opened_at = models.DateTimeField(db_index=True)
    last_seen_at = models.DateTimeField(help_text="Last check that found it at or above the warn level.")
    below_since = models.DateTimeField(
        null=True, blank=True, help_text="Below the warn level since (hysteresis)."
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = _user_fk()
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_by = _user_fk()
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = _user_fk()
    resolution = models.CharField(max_length=16, blank=True, help_text="auto (hysteresis) or manual.")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["portfolio", "status"], name="risk_breach_portfolio_status"),
            models.Index(fields=["status", "next_escalation_at"], name="risk_breach_escalation_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["limit", "portfolio"],
                condition=~Q(status="resolved"),
                name="risk_breach_one_active_per_limit",
            ),
            models.CheckConstraint(
                condition=Q(status__in=BreachStatus.values), name="risk_breach_status_known"
            ),
            models.CheckConstraint(condition=Q(level__in=BreachLevel.values), name="risk_breach_level_known"),
            models.CheckConstraint(
                condition=Q(status="resolved", resolved_at__isnull=False)
                | (~Q(status="resolved") & Q(resolved_at__isnull=True)),
                name="risk_breach_resolved_iff_resolved_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.limit_type} breach #{self.pk} ({self.status})"


class BreachEvent(models.Model):
    """The breach's timeline: opened, level raised, acknowledged, escalated, resolved, noted."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=24)
    by = _user_fk()
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M:%S}"
