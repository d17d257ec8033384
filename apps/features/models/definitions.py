"""Versioned feature definitions: a named, immutable recipe (function, resolved parameters, output,
bar interval, adjusted prices or not, and the benchmark of the functions that read one). Saving a
changed recipe under the same name adds a version; older versions stay, so values computed from them
keep meaning what they meant."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from apps.marketdata.facade import bar_intervals

NAME_RE = r"^[a-z0-9_]+$"
name_validator = RegexValidator(NAME_RE, "Use lowercase letters, digits and _ only.")


class FeatureDefinition(models.Model):
    name = models.CharField(max_length=64, validators=[name_validator])
    version = models.PositiveIntegerField()
    function = models.CharField(
        max_length=64, help_text="A TA-Lib catalogue name (RSI) or a beyond-TA-Lib kernel (amihud)."
    )
    params = models.JSONField(
        default=dict, blank=True, help_text="Resolved: every parameter, defaults filled."
    )
    output = models.CharField(max_length=32, help_text="Which output of the function (its first by default).")
    interval = models.CharField(max_length=4, choices=[(i, i) for i in bar_intervals()], default="1d")
    adjusted = models.BooleanField(default=True)
    benchmark = models.CharField(
        max_length=32,
        blank=True,
        default="",
        help_text="The benchmark's symbol, for functions that read one (rolling_beta); blank otherwise.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="features_definition_name_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="features_definition_version_positive"),
            models.CheckConstraint(condition=Q(name__regex=NAME_RE), name="features_definition_name_slug"),
            models.CheckConstraint(
                condition=Q(interval__in=bar_intervals()), name="features_definition_interval_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def label(self) -> str:
        """ "name@version", the form a feature set's members are written in."""
        return f"{self.name}@{self.version}"
