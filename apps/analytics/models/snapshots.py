"""Stored performance snapshots: a portfolio's NAV, P&L and return per bucket, at minute, hour or
day resolution. They age into coarser buckets (see `apps.analytics.aggregation`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

MONEY = {"max_digits": 28, "decimal_places": 8}


class Resolution(models.TextChoices):
    MINUTE = "minute", "Minute"
    HOUR = "hour", "Hour"
    DAY = "day", "Day"


class PerformanceSnapshot(models.Model):
    """One bucket starting at `ts` (UTC): `nav` at the bucket's last observation, `pnl` earned in
    the bucket, `period_return` the time-weighted return over it (a fraction)."""

    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    resolution = models.CharField(max_length=8, choices=Resolution.choices)
    ts = models.DateTimeField()
    nav = models.DecimalField(**MONEY)
    pnl = models.DecimalField(**MONEY, default=0)
    period_return = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["portfolio_id", "resolution", "ts"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "resolution", "ts"], name="analytics_snapshot_unique_bucket"
            ),
            models.CheckConstraint(
                condition=Q(resolution__in=Resolution.values), name="analytics_snapshot_resolution_valid"
            ),
            # A return below -100% would mean losing more than everything; the compounding breaks.
            models.CheckConstraint(
                condition=Q(period_return__gte=-1.0), name="analytics_snapshot_return_floor"
            ),
        ]
        indexes = [models.Index(fields=["resolution", "ts"], name="analytics_snapshot_res_ts")]

    def __str__(self) -> str:
        return f"{self.portfolio_id} {self.resolution} {self.ts:%Y-%m-%d %H:%M}"
