"""Rows that are written once and never changed: model versions and the alias audit trail.

Refused twice: here in Python (save() of a stored row, QuerySet.update(), bulk_update()), with a
clear error, and in PostgreSQL by a BEFORE UPDATE trigger (migration 0002) for whatever bypasses the
ORM (raw SQL, another client). Deleting stays possible: a version goes only with its whole model
(services/ml_models.py)."""

from __future__ import annotations

from django.db import models


class ImmutableRecordError(Exception):
    """An attempt to change a row that is written once."""


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRecordError(f"{self.model._meta.label} rows cannot be changed once written")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableRecordError(f"{self.model._meta.label} rows cannot be changed once written")

    def update_or_create(self, *args, **kwargs):
        raise ImmutableRecordError(f"{self.model._meta.label} rows cannot be changed once written")


class ImmutableModel(models.Model):
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError(f"{self._meta.label} {self.pk} cannot be changed once written")
        super().save(*args, **kwargs)
