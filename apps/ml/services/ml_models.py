"""Writes of registered models: create one, delete one.

Deleting a model removes its versions, their artifact files and the alias history with it; it is
refused while the model has aliases. An alias is what predictions, A/B tests and other engines
resolve (`champion`), so a model being served must be taken out of service deliberately, alias by
alias (`alias_delete`, audited and published), before it can go. The database agrees: an alias's
version is a PROTECT foreign key."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import ESTIMATORS, MLModel, ModelKind
from ..selectors.aliases import aliases_of
from .artifacts import artifact_remove

# Path segments after /api/ml/models/ that are endpoints, not models (urls.py).
RESERVED_NAMES = ("train", "ab_test")


def _text(value: object, field: str, *, max_length: int, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_length:
        need = f"1 to {max_length}" if required else f"at most {max_length}"
        raise ValidationError({field: f"give text of {need} characters"})
    return value.strip()


@transaction.atomic
def model_create(
    *,
    name: str,
    kind: str,
    estimator: str,
    target: str,
    feature_set_name: str = "",
    feature_set_version: int | None = None,
    description: str = "",
    user=None,
) -> MLModel:
    """Register a model. ValidationError keyed by field: "name" (a slug starting with a letter, not
    taken), "kind", "estimator" (one of the kind's families), "target", "feature_set_version"
    (given with the set's name, a whole number >= 1) — a feature set is referenced by name and
    version, not checked against the features engine."""
    if kind not in ModelKind.values:
        raise ValidationError({"kind": f"unknown kind {kind!r}; one of: {', '.join(ModelKind.values)}"})
    if estimator not in ESTIMATORS[kind]:
        raise ValidationError(
            {"estimator": f"a {kind} model uses one of: {', '.join(ESTIMATORS[kind])}; got {estimator!r}"}
        )
    feature_set_name = _text(feature_set_name, "feature_set_name", max_length=64, required=False)
    if bool(feature_set_name) != (feature_set_version is not None):
        raise ValidationError({"feature_set_version": "give the feature set's name and version together"})
    if feature_set_version is not None and (
        isinstance(feature_set_version, bool)
        or not isinstance(feature_set_version, int)
        or feature_set_version < 1
    ):
        raise ValidationError({"feature_set_version": "give a whole number from 1"})
    if name in RESERVED_NAMES:
        raise ValidationError({"name": f"{name!r} is reserved: /api/ml/models/{name} is an endpoint"})
    model = MLModel(
        name=name,
        kind=kind,
        estimator=estimator,
        target=_text(target, "target", max_length=64),
        feature_set_name=feature_set_name,
        feature_set_version=feature_set_version,
        description=_text(description, "description", max_length=10_000, required=False),
        created_by=user,
    )
    # The name's pattern and uniqueness, keyed by field; the check constraints are the database's.
    model.full_clean(exclude=["created_by"], validate_constraints=False)
    model.save()
    return model


@transaction.atomic
def model_delete(*, model: MLModel, user=None) -> None:
    """Delete the model, its versions and alias history; its artifact files once that commits.
    ValidationError on "aliases" while it has any."""
    locked = MLModel.objects.select_for_update().get(pk=model.pk)
    names = list(aliases_of(locked).values_list("name", flat=True))
    if names:
        raise ValidationError(
            {"aliases": f"model {locked.name!r} is served by alias(es) {', '.join(names)}: delete them first"}
        )
    paths = [p for p in locked.versions.values_list("artifact_path", flat=True) if p]
    locked.delete()
    # After the commit only: a rolled-back deletion keeps rows that still need their files.
    transaction.on_commit(lambda: [artifact_remove(p) for p in paths])
