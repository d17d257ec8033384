"""The monitor's switch and its last run, one row (pk=1). The switch lives here rather than only in
django-celery-beat's row so that /stop takes effect at the next tick even while Beat still holds
the schedule it read, and so status survives restarts."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class MonitorState(models.Model):
    enabled = models.BooleanField(default=True)
    changed_at = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_duration_ms = models.FloatField(null=True, blank=True)
    last_portfolios = models.PositiveIntegerField(default=0)
    last_limits = models.PositiveIntegerField(default=0)
    last_opened = models.PositiveIntegerField(default=0)
    last_resolved = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    runs_total = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="risk_monitor_singleton")]

    def __str__(self) -> str:
        return "risk monitor (" + ("on" if self.enabled else "off") + ")"

    @classmethod
    def load(cls) -> MonitorState:
        state, _ = cls.objects.get_or_create(pk=1)
        return state
