"""Reads of feature definitions: the latest version of each name, or every version of one name."""

from __future__ import annotations

import re

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


def definitions_by_ids(ids) -> list[FeatureDefinition]:
    """The definitions with these primary keys, in the order given (unknown ids are left out)."""
    found = FeatureDefinition.objects.in_bulk(list(ids))
    return [found[i] for i in ids if i in found]


_LABEL = re.compile(r"^(?P<name>[a-z0-9_]{1,64})(?:@(?P<version>[1-9][0-9]{0,8}))?$")


def definition_by_label(item: object) -> FeatureDefinition | None:
    """ "name" -> its latest version, "name@3" -> version 3; None when there is no such definition."""
    m = _LABEL.match(item) if isinstance(item, str) else None
    if m is None:
        return None
    if m["version"] is None:
        return definition_latest(m["name"])
    return definition_get(m["name"], int(m["version"]))
