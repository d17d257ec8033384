"""Named stress scenarios: either shocks (by instrument, sector, currency, factor) or a historical
replay of a stored window of prices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class StressScenario(models.Model):
    class Kind(models.TextChoices):
        SHOCKS = "shocks", "Shocks"
        HISTORICAL = "historical", "Historical replay"

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SHOCKS)
    shocks = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"instrument": {"AAPL": -0.2}, "sector": {...}, "currency": {"EUR": -0.05}, "factor": {...}}',
    )
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="shocks")
                | (
                    Q(kind="historical")
                    & Q(window_start__isnull=False)
                    & Q(window_end__isnull=False)
                    & Q(window_start__lt=models.F("window_end"))
                ),
                name="risk_scenario_historical_has_window",
            ),
        ]

    def __str__(self) -> str:
        return self.name
