"""Reads of model versions: a model's versions, one by number, or the one an alias names."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.platform.exceptions import NotFoundError

from ..models import MLModel, ModelAlias, ModelVersion


class VersionNotFound(NotFoundError):
    """No such version of the model (number or alias)."""


def versions_of(model: MLModel) -> QuerySet[ModelVersion]:
    """The model's versions, oldest first (a queryset: the API pages it)."""
    return ModelVersion.objects.filter(model=model).select_related("model", "trained_by").order_by("number")


def version_get(model: MLModel, number: int) -> ModelVersion:
    found = versions_of(model).filter(number=number).first() if 1 <= number < 2**31 else None
    if found is None:
        raise VersionNotFound(f"Model {model.name!r} has no version {number}.")
    return found


def version_resolve(model: MLModel, alias_or_number: str | int) -> tuple[ModelVersion, str | None]:
    """(version, alias name or None) for a number (an int or digits) or an alias name."""
    text = str(alias_or_number)
    if isinstance(alias_or_number, int) or (text.isascii() and text.isdigit()):
        return version_get(model, int(text)), None
    alias = (
        ModelAlias.objects.filter(model=model, name=text)
        .select_related("version__model", "version__trained_by")
        .first()
    )
    if alias is None:
        raise VersionNotFound(f"Model {model.name!r} has no alias {text!r}.")
    return alias.version, alias.name


def versions_none() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.none()
