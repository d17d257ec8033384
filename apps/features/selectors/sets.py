"""Reads of feature sets, each with its pinned definition versions (members in name, version order)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from ..models import FeatureDefinition, FeatureSet


def _with_members() -> QuerySet[FeatureSet]:
    return FeatureSet.objects.prefetch_related(
        Prefetch("members", queryset=FeatureDefinition.objects.order_by("name", "version"))
    )


def sets_list() -> QuerySet[FeatureSet]:
    """Every feature set, ordered by name, members prefetched (two queries)."""
    return _with_members().order_by("name")


def set_get(name: str) -> FeatureSet | None:
    """The set called `name` with its members, or None."""
    return _with_members().filter(name=name).first()
