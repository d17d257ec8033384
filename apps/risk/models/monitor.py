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
    # How late the last run started: its start minus the Beat tick that sent it (or, without one,
    # minus the previous run's start plus the interval); null when neither is known.
    last_lag_ms = models.FloatField(null=True, blank=True)
    # The interval the last run was measured against (the Beat row's, else workers.schedule's).
    last_interval_s = models.FloatField(null=True, blank=True)
    # Set by the first run of a streak that used more than half its interval, cleared by the first
    # run back under: /health reports the engine degraded while it is set.
    slow_since = models.DateTimeField(null=True, blank=True)
    slow_runs_total = models.PositiveBigIntegerField(default=0)
    # What the last full run read and wrote: "full" (every active portfolio) or "incremental" (the
    # change set's portfolios and those with an unresolved breach), the change-set items it took,
    # and the breach rows it wrote (upserted, hysteresis clocks started, levels raised, resolved).
    last_mode = models.CharField(max_length=12, blank=True)
    last_changes = models.PositiveIntegerField(default=0)
    last_written = models.PositiveIntegerField(default=0)
    # Start of the last full sweep: the next one is due RISK_MONITOR_FULL_SWEEP_S after it.
    last_full_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="risk_monitor_singleton")]

    def __str__(self) -> str:
        return "risk monitor (" + ("on" if self.enabled else "off") + ")"

    @classmethod
    def load(cls) -> MonitorState:
        state, _ = cls.objects.get_or_create(pk=1)
        return state
