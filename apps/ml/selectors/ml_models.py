"""Reads of registered models: the list (optionally of one kind) and one model by id or name."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from apps.platform.exceptions import NotFoundError

from ..models import MLModel, ModelAlias, ModelVersion


class ModelNotFound(NotFoundError):
    """No model with that id or name."""


def models_list(*, kind: str | None = None) -> QuerySet[MLModel]:
    """Every model (or those of `kind`) by name, with who created it (a queryset: the API pages it)."""
    qs = MLModel.objects.select_related("created_by").order_by("name", "id")
    return qs if kind is None else qs.filter(kind=kind)


def _by_ref(qs: QuerySet[MLModel], ref: str | int) -> MLModel:
    """A model names start with a letter, so digits are always an id."""
    text = str(ref)
    if text.isascii() and text.isdigit():  # "²".isdigit() too, but is no id
        found = qs.filter(pk=int(text)).first() if len(text) <= 18 else None  # beyond bigint: none
    else:
        found = qs.filter(name=text).first()
    if found is None:
        raise ModelNotFound(f"No model {text!r}.")
    return found


def model_get(ref: str | int) -> MLModel:
    """The model with this id (digits) or name; ModelNotFound otherwise."""
    return _by_ref(MLModel.objects.select_related("created_by"), ref)


def model_detail(ref: str | int) -> MLModel:
    """The model with its versions (oldest first) and aliases (by name, with their versions)."""
    qs = MLModel.objects.select_related("created_by").prefetch_related(
        Prefetch("versions", queryset=ModelVersion.objects.select_related("trained_by").order_by("number")),
        Prefetch("aliases", queryset=ModelAlias.objects.select_related("version").order_by("name")),
    )
    return _by_ref(qs, ref)
