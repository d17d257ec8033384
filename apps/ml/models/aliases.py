"""Aliases (`champion`, `challenger`, any slug) name one version of a model, and their audit trail.

An alias is moved only through `alias_move` / `alias_delete` (services/aliases.py), which write an
`AliasMove` row each time. Moves keep the alias's name rather than a foreign key to the alias row, so
the history outlives a deleted alias; they go only with their model. Moves are written once
(models/immutable.py).

That an alias and its moves point at versions of their own model is kept by the database on
PostgreSQL: composite foreign keys (model_id, version_id) -> ml_model_version (model_id, id),
migration 0002 (a cross-table rule Meta.constraints cannot state)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .immutable import ImmutableModel
from .ml_models import NAME_RE, name_validator


class ModelAlias(models.Model):
    model = models.ForeignKey("ml.MLModel", on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=64, validators=[name_validator])
    # PROTECT: a version an alias serves cannot disappear under it (so a model with aliases cannot be
    # deleted either: services/ml_models.py model_delete).
    version = models.ForeignKey("ml.ModelVersion", on_delete=models.PROTECT, related_name="aliases")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "ml_model_alias"
        ordering = ["model", "name"]
        verbose_name_plural = "model aliases"
        constraints = [
            models.UniqueConstraint(fields=["model", "name"], name="ml_alias_name_per_model"),
            models.CheckConstraint(condition=Q(name__regex=NAME_RE), name="ml_alias_name_slug"),
        ]

    def __str__(self) -> str:
        return f"{self.model_id}:{self.name}"


class AliasMove(ImmutableModel):
    model = models.ForeignKey("ml.MLModel", on_delete=models.CASCADE, related_name="alias_moves")
    alias = models.CharField(max_length=64, help_text="The alias's name.")
    from_version = models.ForeignKey(
        "ml.ModelVersion",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Blank: the alias was created.",
    )
    to_version = models.ForeignKey(
        "ml.ModelVersion",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Blank: the alias was deleted.",
    )
    reason = models.TextField(blank=True, default="")
    # PROTECT: an audit row keeps who moved the alias (SET_NULL would be an UPDATE of it).
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    moved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ml_alias_move"
        ordering = ["model", "alias", "-moved_at", "-id"]
        indexes = [models.Index(fields=["model", "alias", "-moved_at"], name="ml_alias_move_history")]
        constraints = [
            models.CheckConstraint(condition=Q(alias__regex=NAME_RE), name="ml_alias_move_name_slug"),
            # A move goes somewhere: from nothing (created), to nothing (deleted), or between two
            # different versions; never from nothing to nothing or onto the same version.
            models.CheckConstraint(
                condition=Q(from_version__isnull=True, to_version__isnull=False)
                | Q(from_version__isnull=False, to_version__isnull=True)
                | Q(from_version__isnull=False, to_version__isnull=False) & ~Q(from_version=F("to_version")),
                name="ml_alias_move_changes_something",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_id}:{self.alias} {self.from_version_id} -> {self.to_version_id}"
