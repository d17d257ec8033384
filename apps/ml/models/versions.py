"""Model versions: one trained artifact and everything needed to say how it was made (training
window, feature-set version, hyperparameters, library versions, metrics, who trained it) and to
check it before loading (sha256 and size of the artifact file). Immutable once written
(models/immutable.py); numbered 1, 2, ... per model."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .immutable import ImmutableModel

SHA256_RE = r"^[0-9a-f]{64}$"


class VersionStatus(models.TextChoices):
    READY = "ready"
    FAILED = "failed"


class ModelVersion(ImmutableModel):
    model = models.ForeignKey("ml.MLModel", on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=VersionStatus.choices)
    train_start = models.DateTimeField(null=True, blank=True, help_text="First training sample, UTC.")
    train_end = models.DateTimeField(null=True, blank=True, help_text="Last training sample, UTC.")
    feature_set_version = models.PositiveIntegerField(null=True, blank=True)
    hyperparameters = models.JSONField(default=dict, blank=True)
    library_versions = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    artifact_path = models.CharField(
        max_length=255, blank=True, default="", help_text="Relative to ML_ARTIFACT_ROOT; blank when failed."
    )
    artifact_sha256 = models.CharField(max_length=64, blank=True, default="")
    artifact_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="", help_text="Why training failed (failed versions).")
    # PROTECT, not SET_NULL: setting the column to NULL would be an UPDATE of an immutable row; a user
    # who trained models is deactivated rather than deleted.
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ml_model_version"
        ordering = ["model", "number"]
        constraints = [
            models.UniqueConstraint(fields=["model", "number"], name="ml_version_number_per_model"),
            # Always true; the target of the composite foreign keys that keep an alias (and its moves)
            # on versions of its own model (migration 0002).
            models.UniqueConstraint(fields=["model", "id"], name="ml_version_model_id"),
            models.CheckConstraint(condition=Q(number__gte=1), name="ml_version_number_positive"),
            models.CheckConstraint(
                condition=Q(status__in=VersionStatus.values), name="ml_version_status_known"
            ),
            models.CheckConstraint(
                condition=Q(train_start__isnull=True, train_end__isnull=True)
                # Explicit NOT NULLs: a comparison with NULL would let a half-given window through.
                | Q(train_start__isnull=False, train_end__isnull=False, train_start__lt=F("train_end")),
                name="ml_version_train_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(feature_set_version__isnull=True) | Q(feature_set_version__gte=1),
                name="ml_version_feature_set_version_positive",
            ),
            # A ready version has its artifact, checked: a relative path inside the root, a sha256 and
            # a size. A failed one has none, and says why.
            models.CheckConstraint(
                condition=Q(
                    status=VersionStatus.FAILED,
                    artifact_path="",
                    artifact_sha256="",
                    artifact_bytes__isnull=True,
                )
                & ~Q(error="")
                | Q(
                    status=VersionStatus.READY,
                    artifact_sha256__regex=SHA256_RE,
                    artifact_bytes__isnull=False,
                    error="",
                )
                & ~Q(artifact_path="")
                & ~Q(artifact_path__startswith="/")
                & ~Q(artifact_path__contains=".."),
                name="ml_version_artifact_when_ready",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} v{self.number}"
