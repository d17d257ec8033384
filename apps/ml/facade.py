"""What other engines may import from the ML engine (the only such module).

    info = model_version("spy-return-5d", "champion")   # a frozen description of the version
    fitted = model_load("spy-return-5d", "champion")    # the checksum-checked, cached artifact
    predict_returns("spy-return-5d", ["AAPL", "MSFT"])  # predictions with intervals, many rows at once
    predict_return_sequences("spy-lstm", windows)       # an LSTM's from (n, lookback, k) windows given
    volatility_forecast("AAPL", 10)                     # the risk engine's volatility input
    regime_probabilities("AAPL")                        # the current regime, by state name

`model` is a model's id or name; `alias_or_number` an alias name or a version number. Unknown ones
raise ModelNotFound / VersionNotFound (NotFoundError: an API view answers 404). An artifact whose
file is missing or whose checksum differs raises ArtifactRefused (recorded for
`artifact_failures()`, and reported in /health through `health_checks()`); nothing is loaded then, so
nothing can be predicted with it. Predictions name the model in the same way (None: the first model
of the kind with the alias, champion by default) and refuse bad input with PredictionInputError, a
ValueError whose `errors` are keyed by field."""

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
from .selectors.predictions import SOURCES, ReturnPredictions, returns_predict, rows_parse
from .selectors.regimes import RegimeProbabilities
from .selectors.regimes import regime_probabilities as _regime_probabilities
from .selectors.sequences import SequencePredictions, sequences_predict
from .selectors.serving import BundleMismatch, PredictionInputError, served_get
from .selectors.versions import VersionNotFound, version_resolve
from .selectors.volatility import VolatilityForecast
from .selectors.volatility import volatility_forecast as _volatility_forecast

__all__ = [
    "SOURCES",
    "ArtifactChecksumError",
    "ArtifactFailure",
    "ArtifactMissingError",
    "ArtifactRefused",
    "BundleMismatch",
    "ModelNotFound",
    "ModelVersionInfo",
    "PredictionInputError",
    "RegimeProbabilities",
    "ReturnPredictions",
    "SequencePredictions",
    "VersionNotFound",
    "VolatilityForecast",
    "artifact_failures",
    "linear_coefficients",
    "health_checks",
    "model_load",
    "model_version",
    "predict_return_sequences",
    "predict_returns",
    "regime_probabilities",
    "volatility_forecast",
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


# --- predictions ----------------------------------------------------------------------------------


def predict_returns(
    model: str | int | None,
    rows_or_symbols,
    *,
    alias: str | None = None,
    version: int | None = None,
) -> ReturnPredictions:
    """Return predictions of price model `model` (None: the first price model with the alias) for many
    rows at once, one predict call: a DataFrame (feature columns by name or "name@version", optional
    `symbol` and `current_price` columns), a list of symbols (every feature from the online store),
    or rows {"symbol", "features": {...}, "current_price"}. Features a row lacks are read from the
    store for its symbol, else filled with the training median; `sources` says which. A sequence
    model (an LSTM) reads each symbol's last `lookback` feature rows from the store: give symbols
    only (or rows without features). At most
    ML_PREDICT_MAX_ROWS rows. Raises PredictionInputError (bad input, by field), ArtifactRefused,
    BundleMismatch. Not published on the bus (the API publishes its requests)."""
    served = served_get(kind="price", model=model, alias=alias, version=version)
    symbols, given, prices = rows_parse(served, rows_or_symbols)
    return returns_predict(served, symbols=symbols, given=given, current_price=prices, symbol_field="rows")


def predict_return_sequences(
    model: str | int | None,
    sequences,
    *,
    alias: str | None = None,
    version: int | None = None,
) -> SequencePredictions:
    """Return predictions of a sequence price model (an LSTM) from `sequences` (n, lookback, k): each
    row's last `lookback` feature rows in time order, columns in the order of the version's features
    (`model_version(...).metrics["data"]["features"]`). Same naming and errors as predict_returns."""
    served = served_get(kind="price", model=model, alias=alias, version=version)
    return sequences_predict(served, sequences)


def volatility_forecast(
    symbol: str,
    horizon: int = 1,
    model: str | int | None = None,
    *,
    alias: str | None = None,
    version: int | None = None,
) -> VolatilityForecast:
    """Per-bar variance and volatility of `symbol` for 1..`horizon` bars ahead (decimal returns), the
    horizon's total and the annualized volatility, from volatility model `model` (None: the first
    with the alias, champion by default) moved to the latest bar without refitting. Raises
    PredictionInputError ("symbol" the model was not fitted on, "horizon"), ArtifactRefused,
    BundleMismatch."""
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise PredictionInputError({"horizon": "give a whole number of bars from 1"})
    served = served_get(kind="volatility", model=model, alias=alias, version=version)
    return _volatility_forecast(served, symbol=symbol, horizon=horizon)


def regime_probabilities(
    symbol: str, model: str | int | None = None, *, alias: str | None = None, version: int | None = None
) -> RegimeProbabilities:
    """`symbol`'s regime probabilities as of its latest bar (`.by_name()`, `.state`), from regime model
    `model` (None: the first with the alias, champion by default), filtered forward from the stored
    state without refitting. Raises PredictionInputError, ArtifactRefused, BundleMismatch."""
    served = served_get(kind="regime", model=model, alias=alias, version=version)
    return _regime_probabilities(served, symbol=symbol)


def health_checks() -> list[str]:
    """Reasons the ML engine is degraded, for the platform's /health (found there by name through
    workers/registry.py): refused model artifacts (selectors/artifacts.py records each refusal until
    the version's artifact verifies again)."""
    refused = artifact_failures()
    if not refused:
        return []
    versions = ", ".join(f"model {f.model_id} v{f.number}" for f in refused[:10])
    return [f"{len(refused)} refused model artifact(s): {versions}"]
