"""Writes of A/B tests: create one, stop it, promote an arm (move an alias to its version, audited
through `alias_move`, and stop the test).

A test is on a price model; its arms are two or more distinct ready versions of that model, each
named by number or alias (resolved once, at creation: the arm keeps the version, not the alias),
with a positive weight. One running test per model (the database's partial unique index; checked
here first for a field error)."""

from __future__ import annotations

import math
import numbers

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import (
    ABTest,
    ABTestArm,
    ABTestStatus,
    MLModel,
    ModelAlias,
    ModelKind,
    ModelVersion,
    VersionStatus,
)
from ..models.ml_models import name_validator
from .aliases import alias_move

MAX_ARMS = 16
MAX_HORIZON = 10_000


def _arm_error(i: int, field: str, message: str) -> ValidationError:
    """A refusal of arm i, keyed "arms" (a flat message: the exception handler answers one level)."""
    return ValidationError({"arms": f"arm {i}{' ' + field if field else ''}: {message}"})


def _arm_version(model: MLModel, i: int, arm: object) -> ModelVersion:
    if not isinstance(arm, dict):
        raise _arm_error(i, "", "give {version or alias, weight}")
    number, alias = arm.get("version"), arm.get("alias")
    if (number is None) == (alias is None):
        raise _arm_error(i, "version", "give a version number or an alias, not both")
    if alias is not None:
        found = ModelAlias.objects.filter(model=model, name=alias).select_related("version").first()
        if found is None:
            raise _arm_error(i, "alias", f"model {model.name!r} has no alias {alias!r}")
        version = found.version
    else:
        if isinstance(number, bool) or not isinstance(number, int):
            raise _arm_error(i, "version", "give a version number")
        version = ModelVersion.objects.filter(model=model, number=number).first()
        if version is None:
            raise _arm_error(i, "version", f"model {model.name!r} has no version {number}")
    if version.status != VersionStatus.READY:
        raise _arm_error(i, "version", f"version {version.number} is {version.status}, not ready")
    return version


def _weight(i: int, arm: dict) -> float:
    w = arm.get("weight", 1.0)
    if isinstance(w, bool) or not isinstance(w, numbers.Real) or not (math.isfinite(w) and 0 < w < 1e300):
        raise _arm_error(i, "weight", "give a finite number greater than 0")
    return float(w)


@transaction.atomic
def abtest_create(
    *, model: MLModel, name: str, arms: list, shadow: bool = False, horizon: int, user=None
) -> ABTest:
    """Start a test of `model`'s versions. ValidationError keyed by field: "model" (not a price
    model, or a test already running), "name", "arms" (fewer than 2, more than MAX_ARMS; per arm:
    unknown or non-ready version or alias, a version twice, a weight not > 0), "shadow", "horizon"."""
    locked = MLModel.objects.select_for_update().get(pk=model.pk)
    if locked.kind != ModelKind.PRICE:
        raise ValidationError(
            {"model": f"model {locked.name!r} is a {locked.kind} model; A/B tests are of price models"}
        )
    try:
        name_validator(name if isinstance(name, str) else "")
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from None
    if ABTest.objects.filter(model=locked, name=name).exists():
        raise ValidationError({"name": f"model {locked.name!r} already has a test {name!r}"})
    if not isinstance(shadow, bool):
        raise ValidationError({"shadow": "give true or false"})
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= MAX_HORIZON:
        raise ValidationError({"horizon": f"give a whole number of bars from 1 to {MAX_HORIZON}"})
    if not isinstance(arms, list) or not 2 <= len(arms) <= MAX_ARMS:
        raise ValidationError({"arms": f"give 2 to {MAX_ARMS} arms"})
    versions = [_arm_version(locked, i, arm) for i, arm in enumerate(arms)]
    weights = [_weight(i, arm) for i, arm in enumerate(arms)]
    seen: dict[int, int] = {}
    for i, v in enumerate(versions):
        if v.pk in seen:
            raise _arm_error(i, "version", f"version {v.number} is already arm {seen[v.pk]}")
        seen[v.pk] = i
    running = ABTest.objects.filter(model=locked, status=ABTestStatus.RUNNING).first()
    if running is not None:
        raise ValidationError(
            {"model": f"test {running.name!r} is running on {locked.name!r}: stop it first"}
        )
    test = ABTest.objects.create(model=locked, name=name, shadow=shadow, horizon=horizon, created_by=user)
    ABTestArm.objects.bulk_create(
        ABTestArm(test=test, position=i, version=v, weight=w)
        for i, (v, w) in enumerate(zip(versions, weights, strict=True))
    )
    return test


@transaction.atomic
def abtest_stop(*, test: ABTest, user=None) -> ABTest:
    """Stop the test (its records stay); stopping a stopped test changes nothing."""
    locked = ABTest.objects.select_for_update().get(pk=test.pk)
    if locked.status == ABTestStatus.RUNNING:
        locked.status = ABTestStatus.STOPPED
        locked.stopped_at = timezone.now()
        locked.save(update_fields=["status", "stopped_at"])
    return locked


@transaction.atomic
def abtest_promote(*, test: ABTest, arm: int, alias: str = "champion", reason: str = "", user=None) -> ABTest:
    """Point `alias` at arm `arm`'s version (alias_move: audited, published) and stop the test.
    ValidationError on "arm" (no such arm), "alias"/"reason" (as alias_move keys them: "name" is
    reported as "alias")."""
    locked = ABTest.objects.select_for_update().select_related("model").get(pk=test.pk)
    if isinstance(arm, bool) or not isinstance(arm, int):
        raise ValidationError({"arm": "give the arm's position (0, 1, ...)"})
    chosen = ABTestArm.objects.filter(test=locked, position=arm).select_related("version").first()
    if chosen is None:
        raise ValidationError({"arm": f"test {locked.name!r} has no arm {arm}"})
    text = reason or f"promoted from A/B test {locked.name!r} (arm {arm})"
    try:
        alias_move(model=locked.model, name=alias, version=chosen.version, user=user, reason=text)
    except ValidationError as exc:
        errors = exc.message_dict
        raise ValidationError({("alias" if k == "name" else k): v for k, v in errors.items()}) from None
    locked.status = ABTestStatus.STOPPED
    locked.stopped_at = locked.stopped_at or timezone.now()
    locked.promoted = chosen
    locked.save(update_fields=["status", "stopped_at", "promoted"])
    return locked
