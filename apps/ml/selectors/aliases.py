"""Reads of aliases and their audit trail."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.platform.exceptions import NotFoundError

from ..models import AliasMove, MLModel, ModelAlias


class AliasNotFound(NotFoundError):
    """No alias of that name on the model (and, for its history, never was)."""


def aliases_of(model: MLModel) -> QuerySet[ModelAlias]:
    return ModelAlias.objects.filter(model=model).select_related("model", "version").order_by("name")


def alias_get(model: MLModel, name: str) -> ModelAlias:
    found = aliases_of(model).filter(name=name).first()
    if found is None:
        raise AliasNotFound(f"Model {model.name!r} has no alias {name!r}.")
    return found


def alias_history(model: MLModel, name: str) -> QuerySet[AliasMove]:
    """Every move of the alias, newest first (also after the alias was deleted); AliasNotFound when
    it never existed."""
    qs = (
        AliasMove.objects.filter(model=model, alias=name)
        .select_related("from_version", "to_version", "moved_by")
        .order_by("-moved_at", "-id")
    )
    if not qs.exists():
        raise AliasNotFound(f"Model {model.name!r} has no alias {name!r}.")
    return qs


def alias_moves_none() -> QuerySet[AliasMove]:
    return AliasMove.objects.none()
