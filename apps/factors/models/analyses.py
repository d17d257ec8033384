"""Stored factor analyses: the IC / quantile / turnover results of one factor version over one
universe and data window, keyed so that a ranking can be reproduced: the definition version (and its
digest), the universe's instruments, the window, the horizons and quantiles asked, and a fingerprint
of the data the analysis read (a later correction of a bar gives a new fingerprint, not a silent
change)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .definitions import FactorDefinition


class FactorAnalysis(models.Model):
    definition = models.ForeignKey(FactorDefinition, on_delete=models.CASCADE, related_name="analyses")
    digest = models.CharField(max_length=40, help_text="The definition's digest when analysed.")
    universe = models.CharField(max_length=40, help_text="sha1 of the instrument ids, in order.")
    symbols = models.JSONField(help_text="The universe's symbols, in order.")
    start = models.DateTimeField()
    end = models.DateTimeField()
    horizons = models.JSONField(help_text="Forward-return horizons in bars, ascending, e.g. [1, 5, 10].")
    quantiles = models.PositiveSmallIntegerField(default=5)
    data_fingerprint = models.CharField(max_length=40, help_text="Of the field panels the analysis read.")
    # Per horizon, the headline numbers a ranking sorts by (first horizon's copied into columns).
    ic_mean = models.FloatField(null=True)
    rank_ic_mean = models.FloatField(null=True)
    icir = models.FloatField(null=True)
    t_stat = models.FloatField(null=True)
    p_value = models.FloatField(null=True)
    p_value_adjusted = models.FloatField(null=True, help_text="Benjamini-Hochberg over the run's factors.")
    spread = models.FloatField(null=True, help_text="Top minus bottom quantile mean return per period.")
    turnover = models.FloatField(null=True, help_text="Mean top-quantile turnover.")
    decay_half_life = models.FloatField(null=True, help_text="Horizon at which the rank IC halves.")
    results = models.JSONField(
        help_text="Everything: per-horizon summaries, quantile returns, decay, turnover."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "definition",
                    "universe",
                    "start",
                    "end",
                    "horizons",
                    "quantiles",
                    "data_fingerprint",
                ],
                name="factors_analysis_reproducible",
            ),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="factors_analysis_window"),
            models.CheckConstraint(condition=Q(quantiles__gte=2), name="factors_analysis_quantiles"),
        ]
        indexes = [models.Index(fields=["definition", "-created_at"], name="factors_analysis_recent")]

    def __str__(self) -> str:
        return (
            f"{self.definition} over {len(self.symbols)} symbols [{self.start:%Y-%m-%d}, {self.end:%Y-%m-%d})"
        )
