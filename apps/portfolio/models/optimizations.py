"""Optimizations: every run stored with what went in (the request, the resolved universe and window,
a fingerprint of the returns used) and what came out (weights by symbol, risk and return, the
solver's account, or the infeasibility report), so it can be re-run to the same result."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class OptimizationStatus(models.TextChoices):
    OPTIMAL = "optimal", "Optimal"
    INACCURATE = "optimal_inaccurate", "Optimal (inaccurate)"
    CLOSED_FORM = "closed_form", "Closed form"
    INFEASIBLE = "infeasible", "Infeasible"
    FAILED = "failed", "Failed"


class Optimization(models.Model):
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="optimizations"
    )
    method = models.CharField(max_length=32)
    estimator = models.JSONField(default=dict, help_text="returns, covariance, missing policy, params")
    constraints = models.JSONField(default=dict, help_text="the constraints as the request stated them")
    params = models.JSONField(default=dict, help_text="the method's own arguments, risk-free rate")
    universe = models.JSONField(default=list, help_text="the symbols asked for (resolved)")
    # as asked, then (once solved) the closes used: [first close, just after the last close)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True, help_text="exclusive")
    lookback = models.PositiveIntegerField(null=True, blank=True)
    inputs_fingerprint = models.CharField(max_length=64, help_text="sha256 of the symbols and returns used")
    inputs = models.JSONField(default=dict, help_text="dates used, assets kept and dropped, missing data")
    # outputs
    weights = models.JSONField(default=dict, help_text="symbol -> weight")
    expected_return = models.FloatField(null=True, blank=True)
    volatility = models.FloatField(null=True, blank=True)
    sharpe = models.FloatField(null=True, blank=True)
    risk_contributions = models.JSONField(default=dict)
    solver = models.CharField(max_length=32, blank=True, default="")
    status = models.CharField(max_length=32, choices=OptimizationStatus.choices)
    mip_gap = models.FloatField(null=True, blank=True)
    attempts = models.JSONField(default=list)
    timings = models.JSONField(default=dict)
    notes = models.JSONField(default=list)
    infeasibility = models.JSONField(null=True, blank=True)
    frontier = models.JSONField(null=True, blank=True)
    details = models.JSONField(
        default=dict,
        blank=True,
        help_text="method-specific output: Black-Litterman prior/posterior/views, tracking error reached, "
        "the factor estimator's IC and scores, the missing-data report",
    )
    rerun_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["portfolio", "-created_at"], name="optimization_by_portfolio")]

    def __str__(self) -> str:
        return f"{self.portfolio_id}:{self.method}:{self.status}"
