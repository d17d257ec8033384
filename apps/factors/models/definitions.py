"""Versioned factor definitions: a named formula of the expression language (kernels/expressions),
its canonical text and digest (what the formula computes, however it was spelled), the bar interval
and whether prices are split/dividend adjusted. Saving a changed formula under the same name adds a
version; older versions stay, so results computed from them keep meaning what they meant."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from apps.marketdata.facade import bar_intervals

# Library factors keep their source's names ("alpha158.KMID", "alpha101.alpha001"): dots and capitals.
NAME_RE = r"^[A-Za-z0-9_.]+$"
name_validator = RegexValidator(NAME_RE, "Use letters, digits, _ and . only.")


class FactorDefinition(models.Model):
    name = models.CharField(max_length=96, validators=[name_validator])
    version = models.PositiveIntegerField()
    formula = models.TextField(help_text="As written, e.g. cs_rank(ts_corr($close, $volume, 10)).")
    canonical = models.TextField(help_text="The checked formula's canonical text (aliases resolved).")
    digest = models.CharField(max_length=40, db_index=True, help_text="sha1 of `canonical`.")
    lookback = models.IntegerField(help_text="Bars of history a value needs before its date (-1: all).")
    library = models.CharField(
        max_length=32,
        blank=True,
        default="",
        help_text='"alpha158", "alpha101", "composite"; blank: a user\'s.',
    )
    description = models.TextField(blank=True, default="")
    interval = models.CharField(max_length=4, choices=[(i, i) for i in bar_intervals()], default="1d")
    adjusted = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="factors_definition_name_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="factors_definition_version_positive"),
            models.CheckConstraint(condition=Q(name__regex=NAME_RE), name="factors_definition_name_chars"),
            models.CheckConstraint(condition=Q(lookback__gte=-1), name="factors_definition_lookback"),
            models.CheckConstraint(
                condition=Q(interval__in=bar_intervals()), name="factors_definition_interval_known"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """ "name@version"."""
        return f"{self.name}@{self.version}"
