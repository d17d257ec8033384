"""Reads of feature definitions: the latest version of each name, or every version of one name."""

from __future__ import annotations

from django.db.models import Max, OuterRef, QuerySet, Subquery

from ..models import FeatureDefinition


def definitions_latest() -> QuerySet[FeatureDefinition]:
    """The latest version of every definition, ordered by name (one query)."""
    latest = (
        FeatureDefinition.objects.filter(name=OuterRef("name"))
        .values("name")
        .annotate(top=Max("version"))
        .values("top")
    )
    return FeatureDefinition.objects.filter(version=Subquery(latest)).order_by("name")


def definition_versions(name: str) -> list[FeatureDefinition]:
    """Every version of `name`, oldest first; empty when the name is unknown."""
    return list(FeatureDefinition.objects.filter(name=name).order_by("version"))


def definition_latest(name: str) -> FeatureDefinition | None:
    """The latest version of `name`, or None."""
    return FeatureDefinition.objects.filter(name=name).order_by("-version").first()


def definition_get(name: str, version: int) -> FeatureDefinition | None:
    return FeatureDefinition.objects.filter(name=name, version=version).first()
