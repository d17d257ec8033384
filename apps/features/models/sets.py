"""Feature sets: a named list of pinned feature-definition versions (a model's inputs). A set never
follows a definition to its next version: it holds the exact versions it was created with."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .definitions import NAME_RE, name_validator


class FeatureSet(models.Model):
    name = models.CharField(max_length=64, unique=True, validators=[name_validator])
    description = models.TextField(blank=True)
    members = models.ManyToManyField("features.FeatureDefinition", related_name="sets", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(name__regex=NAME_RE), name="features_set_name_slug"),
        ]

    def __str__(self) -> str:
        return self.name
