"""A compute job's bookkeeping: how many chunks it was split into and what they wrote so far.

The job's chunks run as separate tasks across the features pool; each adds its counts here in one
UPDATE, and the one that completes the count finishes the job (services/computations.py)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class FeatureComputation(models.Model):
    job_id = models.UUIDField(primary_key=True)
    features = models.JSONField(help_text='The definitions computed, as "name@version".')
    definition_ids = models.JSONField()
    symbols = models.PositiveIntegerField()
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    chunks_total = models.PositiveIntegerField()
    chunks_done = ArrayField(
        models.IntegerField(),
        default=list,
        help_text="Indices of finished chunks: a redelivered chunk counts once.",
    )
    instruments = models.PositiveIntegerField(default=0, help_text="Instruments that had bars.")
    rows = models.BigIntegerField(default=0)
    values = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "features_computation"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"compute {self.job_id} ({len(self.chunks_done)}/{self.chunks_total} chunks)"
