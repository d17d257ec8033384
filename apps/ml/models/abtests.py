"""A/B tests of a model's versions and the record of every price prediction.

`ABTest`: two or more versions of one model (`ABTestArm`, each with a positive weight) share the
model's price-prediction traffic, assigned deterministically per request key (kernels/abtest.py);
with `shadow` every other arm also scores the same row, recorded but not returned. One running test
per model (a partial unique index); stopped tests stay for their report.

`PredictionRecord`: one served or shadow prediction of an arm, or a plain prediction of a model with
no running test; the bar it was made at and its horizon say when its outcome is known, and the
realized forward return is filled then (services/outcomes.py), NULL until known.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q

from .ml_models import NAME_RE, name_validator


class ABTestStatus(models.TextChoices):
    RUNNING = "running"
    STOPPED = "stopped"


class ABTest(models.Model):
    model = models.ForeignKey("ml.MLModel", on_delete=models.CASCADE, related_name="ab_tests")
    name = models.CharField(max_length=64, validators=[name_validator])
    shadow = models.BooleanField(default=False, help_text="Every other arm also scores each row.")
    status = models.CharField(max_length=8, choices=ABTestStatus.choices, default=ABTestStatus.RUNNING)
    horizon = models.PositiveIntegerField(help_text="Bars until a prediction's outcome is known.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    promoted = models.ForeignKey(
        "ml.ABTestArm", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "ml_ab_test"
        ordering = ["-created_at", "-id"]
        verbose_name = "A/B test"
        constraints = [
            models.UniqueConstraint(
                fields=["model"], condition=Q(status="running"), name="ml_ab_test_one_running_per_model"
            ),
            models.UniqueConstraint(fields=["model", "name"], name="ml_ab_test_name_per_model"),
            models.CheckConstraint(condition=Q(name__regex=NAME_RE), name="ml_ab_test_name_slug"),
            models.CheckConstraint(condition=Q(horizon__gte=1), name="ml_ab_test_horizon_positive"),
            models.CheckConstraint(
                condition=Q(status__in=ABTestStatus.values), name="ml_ab_test_status_known"
            ),
            # Stopped exactly when it has a stop time; a promoted test is stopped.
            models.CheckConstraint(
                condition=Q(status="running", stopped_at__isnull=True, promoted__isnull=True)
                | Q(status="stopped", stopped_at__isnull=False),
                name="ml_ab_test_stopped_when_stopped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_id}:{self.name}"


class ABTestArm(models.Model):
    test = models.ForeignKey(ABTest, on_delete=models.CASCADE, related_name="arms")
    position = models.PositiveSmallIntegerField(help_text="0, 1, ...: the index assign_arms returns.")
    version = models.ForeignKey("ml.ModelVersion", on_delete=models.PROTECT, related_name="+")
    weight = models.FloatField()

    class Meta:
        db_table = "ml_ab_test_arm"
        ordering = ["test", "position"]
        constraints = [
            models.UniqueConstraint(fields=["test", "position"], name="ml_ab_arm_position_per_test"),
            models.UniqueConstraint(fields=["test", "version"], name="ml_ab_arm_version_once"),
            models.CheckConstraint(condition=Q(weight__gt=0) & Q(weight__lt=1e300), name="ml_ab_arm_weight"),
        ]

    def __str__(self) -> str:
        return f"{self.test_id}#{self.position}"


class RecordRole(models.TextChoices):
    SERVED = "served"  # an arm's prediction, returned
    SHADOW = "shadow"  # another arm's score of the same row, not returned
    PLAIN = "plain"  # a prediction of a model with no running test


class PredictionRecord(models.Model):
    model = models.ForeignKey("ml.MLModel", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey("ml.ModelVersion", on_delete=models.CASCADE, related_name="+")
    test = models.ForeignKey(ABTest, on_delete=models.CASCADE, null=True, blank=True, related_name="records")
    arm = models.ForeignKey(ABTestArm, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    role = models.CharField(max_length=8, choices=RecordRole.choices)
    request_key = models.CharField(max_length=200)
    symbol = models.CharField(max_length=32)
    bar_ts = models.DateTimeField(help_text="The latest bar of the symbol when the prediction was made.")
    interval = models.CharField(max_length=8)
    horizon = models.PositiveIntegerField()
    predicted_return = models.FloatField()
    lower_return = models.FloatField()
    upper_return = models.FloatField()
    # The feature values predicted from, in the bundle's order (for drift).
    features = ArrayField(models.FloatField(), default=list, blank=True)
    realized_return = models.FloatField(null=True, blank=True)
    realized_at = models.DateTimeField(null=True, blank=True, help_text="The bar the outcome was read at.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ml_prediction_record"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["test", "arm"], name="ml_record_test_arm"),
            models.Index(fields=["version", "created_at"], name="ml_record_version"),
            # The outcome filler reads only the open records.
            models.Index(
                fields=["symbol", "bar_ts"], condition=Q(realized_at__isnull=True), name="ml_record_open"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(horizon__gte=1), name="ml_record_horizon_positive"),
            models.CheckConstraint(
                condition=Q(lower_return__lte=F("upper_return")), name="ml_record_interval"
            ),
            models.CheckConstraint(
                condition=Q(role="plain", test__isnull=True, arm__isnull=True)
                | Q(role__in=["served", "shadow"], test__isnull=False, arm__isnull=False),
                name="ml_record_arm_with_test",
            ),
            models.CheckConstraint(
                condition=Q(realized_return__isnull=True, realized_at__isnull=True)
                # Explicit NOT NULL: a comparison with NULL would let a half-given outcome through.
                | Q(realized_return__isnull=False, realized_at__isnull=False, realized_at__gt=F("bar_ts")),
                name="ml_record_realized_after_bar",
            ),
            models.CheckConstraint(condition=~Q(symbol=""), name="ml_record_symbol_given"),
        ]

    def __str__(self) -> str:
        return f"{self.symbol}@{self.bar_ts} v{self.version_id}"
