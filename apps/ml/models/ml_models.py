"""Registered models: a name, what kind of prediction it makes, the estimator family, the target and
the feature set it reads. The name is the key everything else uses (URLs, the bus topic
`ml.models.{name}`, the facade), so it starts with a letter: a numeric path segment is an id."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

NAME_RE = r"^[a-z][a-z0-9_-]{0,63}$"
name_validator = RegexValidator(
    NAME_RE, "Start with a lowercase letter; then lowercase letters, digits, _ or - (64 at most)."
)


class ModelKind(models.TextChoices):
    PRICE = "price", "price or return prediction"
    REGIME = "regime", "regime detection"
    VOLATILITY = "volatility", "volatility forecasting"
    SENTIMENT = "sentiment", "sentiment of text"


# The estimator families each kind may use (issue #14). A new family is a line here and a migration
# (the check constraint below is built from this table).
ESTIMATORS: dict[str, tuple[str, ...]] = {
    "price": ("lightgbm", "linear", "forest", "lstm"),
    "regime": ("hmm", "markov"),
    "volatility": ("garch", "gjr", "egarch"),
    "sentiment": ("vader", "tfidf"),
}
ESTIMATOR_CHOICES = [(e, e) for family in ESTIMATORS.values() for e in family]


def _estimator_fits_kind() -> Q:
    q = Q()
    for kind, family in ESTIMATORS.items():
        q |= Q(kind=kind, estimator__in=family)
    return q


class MLModel(models.Model):
    name = models.CharField(max_length=64, unique=True, validators=[name_validator])
    kind = models.CharField(max_length=16, choices=ModelKind.choices)
    estimator = models.CharField(max_length=16, choices=ESTIMATOR_CHOICES)
    target = models.CharField(max_length=64, help_text="What is predicted, e.g. return_5d.")
    # A plain reference: the features engine owns feature sets; no foreign key across engines.
    feature_set_name = models.CharField(
        max_length=64, blank=True, default="", help_text="The feature set read (blank: reads text)."
    )
    feature_set_version = models.PositiveIntegerField(null=True, blank=True)
    description = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ml_model"
        ordering = ["name"]
        verbose_name = "ML model"
        constraints = [
            models.CheckConstraint(condition=Q(name__regex=NAME_RE), name="ml_model_name_slug"),
            models.CheckConstraint(condition=Q(kind__in=ModelKind.values), name="ml_model_kind_known"),
            models.CheckConstraint(condition=_estimator_fits_kind(), name="ml_model_estimator_fits_kind"),
            models.CheckConstraint(condition=~Q(target=""), name="ml_model_target_given"),
            # A feature set is named with its version, or not at all.
            models.CheckConstraint(
                condition=Q(feature_set_name="", feature_set_version__isnull=True)
                | (
                    ~Q(feature_set_name="") & Q(feature_set_version__isnull=False, feature_set_version__gte=1)
                ),
                name="ml_model_feature_set_pinned",
            ),
        ]

    def __str__(self) -> str:
        return self.name
