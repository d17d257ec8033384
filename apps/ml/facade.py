"""What other engines may import from the ML engine (the only such module).

    info = model_version("spy-return-5d", "champion")   # a frozen description of the version
    fitted = model_load("spy-return-5d", "champion")    # the checksum-checked, cached artifact

`model` is a model's id or name; `alias_or_number` an alias name or a version number. Unknown ones
raise ModelNotFound / VersionNotFound (NotFoundError: an API view answers 404). An artifact whose
file is missing or whose checksum differs raises ArtifactRefused (recorded for
`artifact_failures()`); nothing is loaded then, so nothing can be predicted with it."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

import numpy as np

from .kernels import estimators
from .selectors.artifacts import (
    ArtifactChecksumError,
    ArtifactFailure,
    ArtifactMissingError,
    ArtifactRefused,
    artifact_failures,
    version_artifact,
)
from .selectors.ml_models import ModelNotFound, model_get
from .selectors.versions import VersionNotFound, version_resolve

__all__ = [
    "ArtifactChecksumError",
    "ArtifactFailure",
    "ArtifactMissingError",
    "ArtifactRefused",
    "ModelNotFound",
    "ModelVersionInfo",
    "VersionNotFound",
    "artifact_failures",
    "linear_coefficients",
    "model_load",
    "model_version",
]


@dataclass(frozen=True)
class ModelVersionInfo:
    model_id: int
    model_name: str
    kind: str
    estimator: str
    target: str
    feature_set_name: str
    version_id: int
    number: int
    alias: str | None  # the alias it was reached through, None when asked by number
    status: str
    train_start: dt.datetime | None
    train_end: dt.datetime | None
    feature_set_version: int | None
    hyperparameters: dict
    library_versions: dict
    metrics: dict
    artifact_sha256: str
    created_at: dt.datetime


def _resolve(model: str | int, alias_or_number: str | int):
    found = model_get(model)
    version, alias = version_resolve(found, alias_or_number)
    return found, version, alias


def model_version(model: str | int, alias_or_number: str | int) -> ModelVersionInfo:
    """The version `alias_or_number` of `model`, described (copies: changing them changes nothing)."""
    found, v, alias = _resolve(model, alias_or_number)
    return ModelVersionInfo(
        model_id=found.pk,
        model_name=found.name,
        kind=found.kind,
        estimator=found.estimator,
        target=found.target,
        feature_set_name=found.feature_set_name,
        version_id=v.pk,
        number=v.number,
        alias=alias,
        status=v.status,
        train_start=v.train_start,
        train_end=v.train_end,
        feature_set_version=v.feature_set_version,
        hyperparameters=copy.deepcopy(v.hyperparameters),
        library_versions=copy.deepcopy(v.library_versions),
        metrics=copy.deepcopy(v.metrics),
        artifact_sha256=v.artifact_sha256,
        created_at=v.created_at,
    )


def model_load(model: str | int, alias_or_number: str | int) -> object:
    """The fitted object of that version, after its checksum matched (cached per process)."""
    _, version, _ = _resolve(model, alias_or_number)
    return version_artifact(version)


def linear_coefficients(X, y, *, alpha: float = 1.0) -> np.ndarray:
    """Coefficients (k,) of the engine's linear model (ridge, `alpha` its L2 penalty, with an
    intercept) fitted on X (n, k), y (n,): for other engines that combine signals (the factors
    engine's "regression" composite). Deterministic; raises ValueError for bad shapes or labels."""
    model = estimators.fit("linear", {"alpha": float(alpha), "fit_intercept": True}, X, y, seed=0)
    return np.asarray(model.coef_, dtype=float).copy()
