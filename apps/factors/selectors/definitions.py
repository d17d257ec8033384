"""Reads of factor definitions: the latest version of each name (filtered by library or a search),
every version of one name, and a definition by "name" (its latest version) or "name@version"."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from ..models import FactorDefinition


def definitions_latest(*, library: str | None = None, search: str | None = None) -> QuerySet:
    """The latest version of each name, by name. `library`: that library only ("" for users' own);
    `search`: a case-insensitive substring of the name, the description or the formula as written."""
    qs = FactorDefinition.objects.all()
    if library is not None:
        qs = qs.filter(library=library)
    if search:
        qs = qs.filter(
            Q(name__icontains=search) | Q(description__icontains=search) | Q(formula__icontains=search)
        )
    # A name's latest version: no later version of the same name exists.
    newer = FactorDefinition.objects.filter(name=OuterRef("name"), version__gt=OuterRef("version"))
    return qs.exclude(Exists(newer)).select_related("created_by").order_by("name")


def definition_versions(name: str) -> list[FactorDefinition]:
    """Every version of `name`, oldest first (empty when the name is unknown)."""
    return list(FactorDefinition.objects.filter(name=name).select_related("created_by").order_by("version"))


def definition_by_label(label: str) -> FactorDefinition | None:
    """ "name" (its latest version) or "name@version", or None when there is no such definition."""
    name, sep, version = label.partition("@")
    qs = FactorDefinition.objects.filter(name=name)
    if not sep:
        return qs.order_by("-version").first()
    if not version.isdigit() or len(version) > 9:
        return None
    return qs.filter(version=int(version)).first()
