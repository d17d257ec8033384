"""Moving aliases, audited and announced: every create, move or delete of an alias writes an
`AliasMove` row (who, when, from which version to which, why) and, once committed, publishes
`ml.models.{model name}` on the bus with {model, alias, from_version, to_version} (version numbers;
None for "did not exist"), so predictors and A/B tests pick up a new champion without polling."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.platform import bus
from apps.platform.timestamps import iso_utc

from ..models import AliasMove, MLModel, ModelAlias, ModelVersion, VersionStatus
from ..models.ml_models import name_validator
from ..selectors.aliases import AliasNotFound

log = logging.getLogger("apps.ml.services")

REASON_MAX = 2000


def models_topic(model: MLModel) -> str:
    return f"ml.models.{model.name}"


def _publish(topic: str, payload: dict) -> None:
    try:
        bus.publish(topic, payload)
    except Exception:  # the move is committed; a bus fault must not turn it into an error
        log.exception("could not publish %s", topic)


def _announce(model: MLModel, move: AliasMove, from_number: int | None, to_number: int | None) -> None:
    payload = {
        "model": model.name,
        "model_id": model.pk,
        "alias": move.alias,
        "from_version": from_number,
        "to_version": to_number,
        "reason": move.reason,
        "moved_by": move.moved_by.get_username() if move.moved_by else None,
        "moved_at": iso_utc(move.moved_at),
        "move_id": move.pk,
    }
    topic = models_topic(model)
    transaction.on_commit(lambda: _publish(topic, payload))


def _name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise ValidationError({"name": "give the alias's name"})
    try:
        name_validator(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from None
    return name


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"give text of at most {REASON_MAX} characters"})
    return reason.strip()


def _version(model: MLModel, version: ModelVersion | int) -> ModelVersion:
    """The ready version of `model` meant by a ModelVersion or a version number."""
    if isinstance(version, ModelVersion):
        found = version if version.model_id == model.pk else None
    elif isinstance(version, int) and not isinstance(version, bool) and 1 <= version < 2**31:
        found = ModelVersion.objects.filter(model=model, number=version).first()
    else:
        raise ValidationError({"version": "give a version number"})
    if found is None:
        raise ValidationError({"version": f"model {model.name!r} has no such version"})
    if found.status != VersionStatus.READY:
        raise ValidationError({"version": f"version {found.number} is {found.status}, not ready"})
    return found


@dataclass(frozen=True)
class AliasMoved:
    alias: ModelAlias
    move: AliasMove | None  # None: the alias already named that version (nothing changed)
    created: bool


@transaction.atomic
def alias_move(
    *, model: MLModel, name: str, version: ModelVersion | int, user=None, reason: str = ""
) -> AliasMoved:
    """Point alias `name` of `model` at `version` (a ModelVersion of the model or its number),
    creating the alias if needed. Audited and published; a move onto the version it already names
    changes nothing and records nothing. ValidationError keyed by "name", "version" (not the model's,
    unknown or not ready) or "reason". Moves of one model are serialized by locking its row."""
    name, reason = _name(name), _reason(reason)
    locked = MLModel.objects.select_for_update().get(pk=model.pk)
    target = _version(locked, version)
    alias = ModelAlias.objects.select_related("version").filter(model=locked, name=name).first()
    if alias is not None and alias.version_id == target.pk:
        return AliasMoved(alias=alias, move=None, created=False)
    before = alias.version if alias is not None else None
    move = AliasMove.objects.create(
        model=locked, alias=name, from_version=before, to_version=target, reason=reason, moved_by=user
    )
    created = alias is None
    if created:
        alias = ModelAlias.objects.create(model=locked, name=name, version=target)
    else:
        alias.version = target
        alias.save(update_fields=["version", "updated_at"])
    _announce(locked, move, before.number if before else None, target.number)
    return AliasMoved(alias=alias, move=move, created=created)


@transaction.atomic
def alias_delete(*, model: MLModel, name: str, user=None, reason: str = "") -> AliasMove:
    """Remove alias `name` of `model`; audited (a move to no version) and published. AliasNotFound
    when there is no such alias."""
    reason = _reason(reason)
    locked = MLModel.objects.select_for_update().get(pk=model.pk)
    alias = ModelAlias.objects.select_related("version").filter(model=locked, name=name).first()
    if alias is None:
        raise AliasNotFound(f"Model {locked.name!r} has no alias {name!r}.")
    move = AliasMove.objects.create(
        model=locked, alias=name, from_version=alias.version, to_version=None, reason=reason, moved_by=user
    )
    number = alias.version.number
    alias.delete()
    _announce(locked, move, number, None)
    return move
