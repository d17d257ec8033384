"""Stored factor values: a factor (one definition version) over one universe, one row per date
holding the whole cross-section (a factor is read and analysed per date, and its cross-sectional
operators need every name of the date anyway).

`FactorSeries` says which universe (its instruments, in the order of each row's values) and which
dates are stored; `FactorRow.values` is the date's values as little-endian float64 bytes, one per
instrument in the series' order (NaN: no value). Bytes rather than an array type keep the table the
same on every database the platform runs on."""

from __future__ import annotations

from django.db import models

from .definitions import FactorDefinition


class FactorSeries(models.Model):
    definition = models.ForeignKey(FactorDefinition, on_delete=models.CASCADE, related_name="series")
    universe = models.CharField(max_length=40, help_text="sha1 of the instrument ids, in order.")
    instrument_ids = models.JSONField(help_text="The order of each row's values.")
    symbols = models.JSONField(help_text="The instruments' symbols when stored, same order.")
    first_ts = models.DateTimeField(null=True, blank=True)
    last_ts = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["definition", "universe"], name="factors_series_one_per_universe")
        ]

    def __str__(self) -> str:
        return f"{self.definition} over {len(self.symbols)} symbols"


class FactorRow(models.Model):
    pk = models.CompositePrimaryKey("series_id", "ts")
    series = models.ForeignKey(FactorSeries, on_delete=models.CASCADE, related_name="rows")
    ts = models.DateTimeField(help_text="The bar's start (UTC); known at its close.")
    values = models.BinaryField(help_text="float64 little-endian, one per instrument of the series.")

    def __str__(self) -> str:
        return f"{self.series_id}@{self.ts:%Y-%m-%d %H:%M}"
