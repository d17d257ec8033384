"""Feed sessions: one row per live or replay feed, the channel between the API (which asks a feed
to start or stop) and the `feed_run` process (which claims, runs and reports on it).

The row is the control channel on purpose: it survives Redis outages and restarts of `feed_run`,
and every state change is a conditional UPDATE (`WHERE state = ...`), so the API and the runner
never overwrite each other's decision.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class FeedMode(models.TextChoices):
    LIVE = "live", "Live (simulated market)"
    REPLAY = "replay", "Replay of stored bars"


class FeedState(models.TextChoices):
    PENDING = "pending"  # asked for (or handed back by a stopping runner), waiting for feed_run
    RUNNING = "running"
    STOPPING = "stopping"  # stop asked; the runner finishes its tick and marks it stopped
    STOPPED = "stopped"
    FINISHED = "finished"  # a replay that played all its bars
    FAILED = "failed"


ACTIVE_STATES = frozenset({FeedState.PENDING, FeedState.RUNNING, FeedState.STOPPING})


class FeedSession(models.Model):
    mode = models.CharField(max_length=8, choices=FeedMode.choices)
    state = models.CharField(max_length=10, choices=FeedState.choices, default=FeedState.PENDING)
    config = models.JSONField(default=dict, help_text="Validated start request (symbols resolved).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    runner = models.CharField(max_length=128, blank=True, help_text="host:pid of the feed_run running it")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last report from its runner.")
    ticks_published = models.BigIntegerField(default=0)
    bars_published = models.BigIntegerField(default=0)
    bars_stored = models.BigIntegerField(default=0)
    last_tick_at = models.DateTimeField(
        null=True, blank=True, help_text="Market time of the last tick (live) or bar (replay) published."
    )
    error_count = models.IntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "marketdata_feed_session"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state"], name="feed_session_state")]
        constraints = [
            models.CheckConstraint(condition=Q(mode__in=FeedMode.values), name="feed_session_mode_valid"),
            models.CheckConstraint(condition=Q(state__in=FeedState.values), name="feed_session_state_valid"),
            models.CheckConstraint(
                condition=Q(ticks_published__gte=0) & Q(bars_published__gte=0) & Q(bars_stored__gte=0),
                name="feed_session_counts_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mode} feed #{self.pk} ({self.state})"
