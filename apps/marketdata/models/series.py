"""Slow-moving series: economic data (FRED-style), fundamentals and FX rates.

Economic observations and fundamentals carry the moment a value became known (`known_at`,
`reported_at`); a revision is a new row, never an overwrite, so reads "as known at" a date can
ignore what was published later (no look-ahead in backtests).
"""

from __future__ import annotations

from django.db import models

from .instruments import CURRENCY_RE, Instrument, currency_validator


class EconomicSeries(models.Model):
    code = models.CharField(max_length=64, unique=True, help_text="e.g. GDPC1, UNRATE")
    title = models.CharField(max_length=300, blank=True)
    frequency = models.CharField(max_length=16, blank=True, help_text="d, w, m, q, a")
    units = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "economic series"
        constraints = [models.CheckConstraint(condition=~models.Q(code=""), name="series_code_not_blank")]

    def __str__(self) -> str:
        return self.code


class SeriesObservation(models.Model):
    pk = models.CompositePrimaryKey("series_id", "date", "known_at")
    series = models.ForeignKey(
        EconomicSeries, on_delete=models.CASCADE, related_name="observations", db_index=False
    )
    date = models.DateField(help_text="The period the value describes.")
    known_at = models.DateTimeField(help_text="When the value became known (release or revision).")
    value = models.FloatField(null=True, blank=True, help_text="Null: released as missing.")

    class Meta:
        db_table = "marketdata_series_observation"

    def __str__(self) -> str:
        return f"{self.series_id} {self.date} (known {self.known_at:%Y-%m-%d})"


class Fundamental(models.Model):
    pk = models.CompositePrimaryKey("instrument_id", "field", "period_end", "reported_at")
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+", db_index=False)
    field = models.CharField(max_length=64, help_text="e.g. eps, revenue, book_value")
    period = models.CharField(max_length=8, blank=True, help_text="e.g. Q1, FY")
    period_end = models.DateField()
    reported_at = models.DateTimeField(help_text="When the figure was published (or restated).")
    value = models.FloatField()

    class Meta:
        db_table = "marketdata_fundamental"

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.field} {self.period_end}"


class FxRate(models.Model):
    """Units of `quote` currency per one unit of `base` (EURUSD 1.08: base EUR, quote USD)."""

    pk = models.CompositePrimaryKey("base", "quote", "ts")
    base = models.CharField(max_length=3, validators=[currency_validator])
    quote = models.CharField(max_length=3, validators=[currency_validator])
    ts = models.DateTimeField()
    rate = models.FloatField()

    class Meta:
        db_table = "marketdata_fxrate"
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fxrate_positive"),
            models.CheckConstraint(condition=~models.Q(base=models.F("quote")), name="fxrate_distinct_pair"),
            models.CheckConstraint(
                condition=models.Q(base__regex=CURRENCY_RE) & models.Q(quote__regex=CURRENCY_RE),
                name="fxrate_currencies_iso",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.base}{self.quote} {self.ts:%Y-%m-%d %H:%M} {self.rate}"
