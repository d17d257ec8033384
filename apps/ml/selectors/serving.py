"""Which model version serves a prediction, and its loaded bundle.

A prediction names its model in the body (`model`: id or name) and the version through an alias
(`alias`, default `champion`) or a number (`version`). Without `model`, the model is the first by
name among the models of the asked kind that have that alias (`champion` when a number is given):
with one champion per kind, as the demo registers, that is the one; with several, naming the model
is the way to pick another, and every answer says which model and version it used.

Refusals: input that names nothing usable raises PredictionInputError keyed by the body's field
("model", "alias", "version"); a version whose artifact is refused (missing file, checksum) raises
the registry's ArtifactRefused (recorded for /health by selectors/artifacts.py); an artifact that is
not a bundle of the asked kind (kernels/bundles.py) raises BundleMismatch. Nothing is predicted then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..kernels.bundles import PriceBundle, RegimeBundle, SentimentBundle, VolatilityBundle
from ..models import MLModel, ModelAlias, ModelKind, ModelVersion, VersionStatus
from .artifacts import version_artifact
from .ml_models import ModelNotFound, model_get
from .versions import VersionNotFound, version_get

DEFAULT_ALIAS = "champion"
BUNDLES: dict[str, type] = {
    ModelKind.PRICE: PriceBundle,
    ModelKind.VOLATILITY: VolatilityBundle,
    ModelKind.REGIME: RegimeBundle,
    ModelKind.SENTIMENT: SentimentBundle,
}


class PredictionInputError(ValueError):
    """Input a prediction cannot use: `errors` is {field: message or nested errors}, ready for a
    field-level 400."""

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class BundleMismatch(Exception):
    """The version's artifact is not the bundle its model's kind predicts with (e.g. an object
    registered by hand): it is not used."""


@dataclass(frozen=True)
class Served:
    """The version a prediction is made with, and its loaded bundle."""

    model_id: int
    model_name: str
    kind: str
    estimator: str
    target: str
    version_id: int
    number: int
    alias: str | None  # the alias it was reached through; None when asked by number
    bundle: object
    train_start: dt.datetime | None = None
    train_end: dt.datetime | None = None

    def describe(self) -> dict:
        """The model, version and alias as every answer and event names them."""
        return {
            "model": self.model_name,
            "model_id": self.model_id,
            "kind": self.kind,
            "estimator": self.estimator,
            "target": self.target,
            "version": self.number,
            "alias": self.alias,
        }


def _default_model(kind: str, alias: str) -> MLModel:
    found = MLModel.objects.filter(kind=kind, aliases__name=alias).order_by("name", "id").distinct().first()
    if found is None:
        raise PredictionInputError(
            {"model": f"no {kind} model has an alias {alias!r}; name the model to use (`model`)"}
        )
    return found


def _model(kind: str, ref: str | int | None, alias: str) -> MLModel:
    if ref is None:
        return _default_model(kind, alias)
    try:
        found = model_get(ref)
    except ModelNotFound as exc:
        raise PredictionInputError({"model": str(exc)}) from None
    if found.kind != kind:
        raise PredictionInputError(
            {"model": f"model {found.name!r} is a {found.kind} model, not a {kind} model"}
        )
    return found


def _version(model: MLModel, alias: str | None, number: int | None) -> tuple[ModelVersion, str | None]:
    if number is not None:
        try:
            return version_get(model, int(number)), None
        except VersionNotFound as exc:
            raise PredictionInputError({"version": str(exc)}) from None
    found = ModelAlias.objects.filter(model=model, name=alias).select_related("version").first()
    if found is None:
        raise PredictionInputError({"alias": f"model {model.name!r} has no alias {alias!r}"})
    return found.version, alias


def served_get(
    *, kind: str, model: str | int | None = None, alias: str | None = None, version: int | None = None
) -> Served:
    """The version that predicts for this request (see the module docstring for the rules) with its
    checksum-checked bundle (cached per process). Give `alias` or `version`, not both."""
    if kind not in BUNDLES:
        raise ValueError(f"unknown model kind {kind!r}")
    if alias is not None and version is not None:
        raise PredictionInputError({"version": "give an alias or a version number, not both"})
    alias_name = alias if alias is not None else (DEFAULT_ALIAS if version is None else None)
    found = _model(kind, model, alias_name or DEFAULT_ALIAS)
    chosen, via = _version(found, alias_name, version)
    if chosen.status != VersionStatus.READY:
        field = "version" if via is None else "alias"
        raise PredictionInputError(
            {field: f"version {chosen.number} of {found.name!r} is {chosen.status}: it has no model"}
        )
    bundle = version_artifact(chosen)  # ArtifactRefused: recorded, nothing loaded
    expected = BUNDLES[kind]
    if not isinstance(bundle, expected):
        raise BundleMismatch(
            f"version {chosen.number} of {found.name!r} holds a {type(bundle).__name__}, not a "
            f"{expected.__name__}: it cannot make {kind} predictions"
        )
    return Served(
        model_id=found.pk,
        model_name=found.name,
        kind=kind,
        estimator=found.estimator,
        target=found.target,
        version_id=chosen.pk,
        number=chosen.number,
        alias=via,
        bundle=bundle,
        train_start=chosen.train_start,
        train_end=chosen.train_end,
    )
