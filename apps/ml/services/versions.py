"""Writes of model versions: a trained model becomes the next version of its model, with its
artifact written and checksummed. Versions are never changed afterwards (models/immutable.py).

Nothing half-written: the artifact file is written (atomically) before the row, and removed again if
the row cannot be saved, so a failure leaves neither. A committed row always has its file. If an
enclosing transaction of the caller's rolls back after this returns, the file stays behind unused:
its name carries the version number and checksum, no row names it, and loading goes only through
rows, so it is never read."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from apps.platform.numbers import json_safe
from apps.platform.timestamps import as_utc

from ..models import MLModel, ModelVersion, VersionStatus
from .artifacts import (
    artifact_checksum,
    artifact_remove,
    artifact_serialize,
    artifact_write,
)
from .artifacts import library_versions as installed_library_versions


def _json_object(value: object, field: str) -> dict:
    """A JSON object as stored: numpy scalars as numbers, NaN and infinities as null."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError({field: "give an object (a dict)"})

    def plain(o):
        if hasattr(o, "item"):  # numpy scalars and 0-d arrays
            return o.item()
        raise TypeError(f"{type(o).__name__} is not JSON")

    try:
        return json_safe(json.loads(json.dumps(value, default=plain)))
    except (TypeError, ValueError) as exc:
        raise ValidationError({field: f"not JSON: {exc}"}) from None


def _window(train_start, train_end) -> tuple:
    start, end = as_utc(train_start), as_utc(train_end)
    if (start is None) != (end is None):
        raise ValidationError(
            {"train_end" if start is not None else "train_start": "give both ends or neither"}
        )
    if start is not None and not start < end:
        raise ValidationError({"train_end": "must be after train_start"})
    return start, end


def version_path(model: MLModel, number: int, sha256: str) -> str:
    """Where a version's artifact lives, relative to ML_ARTIFACT_ROOT."""
    return f"{model.name}/v{number}-{sha256[:16]}.joblib"


@transaction.atomic
def version_create(
    *,
    model: MLModel,
    artifact: object | bytes | None,
    status: str = VersionStatus.READY,
    train_start=None,
    train_end=None,
    feature_set_version: int | None = None,
    hyperparameters: dict | None = None,
    library_versions: dict | None = None,
    metrics: dict | None = None,
    error: str = "",
    user=None,
) -> ModelVersion:
    """The model's next version (1 for its first). `artifact`: the fitted object (serialized with
    joblib) or its bytes; None for a failed version, which says why in `error` instead.
    `library_versions` defaults to the versions installed here (services/artifacts.py).

    ValidationError keyed by field: "status", "artifact", "error", "train_start"/"train_end" (both
    or neither, start before end), "feature_set_version", "hyperparameters"/"metrics"/
    "library_versions" (JSON objects). Concurrent calls for one model are serialized by locking the
    model's row, so numbers never repeat (and (model, number) is unique in the database)."""
    if status not in VersionStatus.values:
        raise ValidationError({"status": f"one of: {', '.join(VersionStatus.values)}"})
    if status == VersionStatus.READY and artifact is None:
        raise ValidationError({"artifact": "a ready version needs its fitted model"})
    if status == VersionStatus.FAILED and (artifact is not None or not str(error).strip()):
        raise ValidationError({"error": "a failed version has no artifact and says why it failed"})
    if status == VersionStatus.READY and error:
        raise ValidationError({"error": "only a failed version has an error"})
    if feature_set_version is not None and (
        isinstance(feature_set_version, bool)
        or not isinstance(feature_set_version, int)
        or feature_set_version < 1
    ):
        raise ValidationError({"feature_set_version": "give a whole number from 1"})
    start, end = _window(train_start, train_end)
    fields = {
        "hyperparameters": _json_object(hyperparameters, "hyperparameters"),
        "metrics": _json_object(metrics, "metrics"),
        "library_versions": _json_object(
            installed_library_versions() if library_versions is None else library_versions, "library_versions"
        ),
    }

    locked = MLModel.objects.select_for_update().get(pk=model.pk)
    number = (ModelVersion.objects.filter(model=locked).aggregate(top=Max("number"))["top"] or 0) + 1
    path, sha256, size = "", "", None
    if artifact is not None:
        data = artifact_serialize(artifact)
        sha256, size = artifact_checksum(data), len(data)
        path = version_path(locked, number, sha256)
        artifact_write(path, data)
    try:
        # A savepoint: on PostgreSQL a failed INSERT spoils the transaction it runs in; this keeps
        # the caller's own transaction usable after the ValidationError or IntegrityError.
        with transaction.atomic():
            return ModelVersion.objects.create(
                model=locked,
                number=number,
                status=status,
                train_start=start,
                train_end=end,
                feature_set_version=feature_set_version,
                artifact_path=path,
                artifact_sha256=sha256,
                artifact_bytes=size,
                error=str(error).strip(),
                trained_by=user,
                **fields,
            )
    except BaseException:
        if path:
            artifact_remove(path)
        raise
