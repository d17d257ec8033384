"""The feature store's tables: values side by side, one row per instrument and bar.

Layout (measured, see the README's "Feature store" section): one row per (column block, instrument,
bar) holding a float8[] of every feature of the block at that bar. One row per instrument × feature ×
bar writes ~20× more rows (and their headers and index entries) for the same values; one row per
instrument × feature holding the whole history makes an incremental bar rewrite the whole array.
A block holds at most `BLOCK_WIDTH` definitions so a row stays inline (under PostgreSQL's 2 kB TOAST
threshold): no compression attempt and no second table on write.

- `FeatureColumns`: a block's ordered definition ids (a computation of several definitions of the
  same interval and adjustment writes one block per `BLOCK_WIDTH` of them).
- `FeatureRow`: the values; `values[k]` (1-based in SQL) belongs to the block's k-th definition, so a
  value always keeps the definition version it was computed from. NaN is stored as NaN (warm-up).
- `FeatureSeries`: where one definition's values for one instrument live now (block and position)
  and what range they cover. Reads go through it; a recompute moves it; rows no series points at
  any more are deleted with the write that orphaned them.

A value at bar `ts` is known at the bar's close, `ts` + the definition's interval (`known_at`).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

BLOCK_WIDTH = 128


class FeatureColumns(models.Model):
    id = models.AutoField(primary_key=True)  # int4: the binary COPY writes 4-byte block ids
    interval = models.CharField(max_length=4)
    adjusted = models.BooleanField()
    definition_ids = ArrayField(models.IntegerField(), help_text="Ordered: values[k] is the k-th.")
    key = models.CharField(
        max_length=1200, unique=True, help_text="interval|adjusted|ids: one block per list."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "features_columns"

    def __str__(self) -> str:
        return f"block {self.pk} ({self.interval}, {len(self.definition_ids)} features)"


class FeatureRow(models.Model):
    pk = models.CompositePrimaryKey("columns_id", "instrument_id", "ts")
    # No index of its own: the primary key (columns_id, instrument_id, ts) starts with it, and a second
    # index costs every write and misleads the planner while a new block has no statistics.
    columns = models.ForeignKey(FeatureColumns, on_delete=models.CASCADE, related_name="+", db_index=False)
    instrument_id = models.IntegerField()
    ts = models.DateTimeField(help_text="Start of the bar, UTC.")
    values = ArrayField(models.FloatField())

    class Meta:
        db_table = "features_row"

    def __str__(self) -> str:
        return f"block {self.columns_id} instrument {self.instrument_id} at {self.ts:%Y-%m-%d %H:%M}"


class FeatureSeries(models.Model):
    definition = models.ForeignKey("features.FeatureDefinition", on_delete=models.CASCADE, related_name="+")
    instrument_id = models.IntegerField()
    columns = models.ForeignKey(FeatureColumns, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(help_text="1-based index into the block's values.")
    first_ts = models.DateTimeField()
    last_ts = models.DateTimeField()
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "features_series"
        constraints = [
            models.UniqueConstraint(fields=["definition", "instrument_id"], name="features_series_one_home"),
        ]
        indexes = [models.Index(fields=["instrument_id", "columns"], name="features_series_block")]

    def __str__(self) -> str:
        return f"definition {self.definition_id} instrument {self.instrument_id} in block {self.columns_id}"
