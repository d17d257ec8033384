"""The model kinds for return prediction, their hyperparameters, and seeded fit / predict.

`KINDS` maps a kind to its constructor and hyperparameter space:
- `lightgbm`: `lightgbm.LGBMRegressor`, built with `deterministic=True, force_row_wise=True` (LightGBM's
  recipe for a bit-identical model from the same seed and data) and `subsample_freq=1` (so
  `subsample` < 1 bags every iteration);
- `linear`: `sklearn.linear_model.Ridge`;
- `forest`: `sklearn.ensemble.RandomForestRegressor`;
- `lstm`: `apps.ml.kernels.lstm.LSTMRegressor` (PyTorch, an optional extra), over sequences: its X
  is (n, lookback, k), the last `lookback` feature rows of each sample's symbol (`lstm.sequence_windows`).

Each `Hyperparam` states its type ("int", "float", "bool"), its allowed closed range, whether Optuna
should search it on a log scale, its default, and whether None is allowed ("no limit"). The same
space is the check that names a bad hyperparameter in a 400 (`hyperparams_validate`) and Optuna's
search space (`apps.ml.kernels.automl`).

`fit(kind, params, X, y, seed=, n_jobs=)` validates, fills the defaults and fits; the seed goes to
the estimator's `random_state` and `n_jobs` is always set explicitly (the worker's process pool is
the parallelism; by default each fit uses one thread). The same kind, params, data and seed give the
same predictions (bit for bit at the same `n_jobs`; a forest's prediction sums its trees in thread
order, so other `n_jobs` agree to rounding). `predict(model, X)` returns float64.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge

from . import lstm

ParamType = Literal["int", "float", "bool"]


@dataclass(frozen=True)
class Hyperparam:
    name: str
    type: ParamType
    default: Any
    low: float | None = None
    high: float | None = None
    log: bool = False
    nullable: bool = False


@dataclass(frozen=True)
class EstimatorKind:
    kind: str
    build: Callable[[dict[str, Any], int, int], Any]  # (params, seed, n_jobs) -> unfitted estimator
    space: tuple[Hyperparam, ...]

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.space}


class HyperparameterError(ValueError):
    """Bad hyperparameters: `errors` is {param: message}, ready for a field-level 400."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _lightgbm(params: dict[str, Any], seed: int, n_jobs: int) -> lgb.LGBMRegressor:
    return lgb.LGBMRegressor(
        **params,
        subsample_freq=1,
        random_state=seed,
        n_jobs=n_jobs,
        deterministic=True,
        force_row_wise=True,
        verbose=-1,
    )


def _linear(params: dict[str, Any], seed: int, n_jobs: int) -> Ridge:
    # Ridge's default solvers are exact; the seed only matters to the sag/saga solvers, and Ridge
    # takes no n_jobs.
    return Ridge(**params, random_state=seed)


def _forest(params: dict[str, Any], seed: int, n_jobs: int) -> RandomForestRegressor:
    return RandomForestRegressor(**params, random_state=seed, n_jobs=n_jobs)


def _lstm(params: dict[str, Any], seed: int, n_jobs: int) -> lstm.LSTMRegressor:
    # One thread whatever n_jobs: the worker's process pool is the parallelism (lstm.py).
    return lstm.LSTMRegressor(**params, random_state=seed)


KINDS: dict[str, EstimatorKind] = {
    "lightgbm": EstimatorKind(
        "lightgbm",
        _lightgbm,
        (
            Hyperparam("n_estimators", "int", 200, 10, 2000, log=True),
            Hyperparam("learning_rate", "float", 0.05, 1e-3, 0.5, log=True),
            Hyperparam("num_leaves", "int", 31, 2, 256, log=True),
            Hyperparam("min_child_samples", "int", 20, 1, 500, log=True),
            Hyperparam("subsample", "float", 1.0, 0.1, 1.0),
            Hyperparam("colsample_bytree", "float", 1.0, 0.1, 1.0),
            Hyperparam("reg_alpha", "float", 0.0, 0.0, 100.0),
            Hyperparam("reg_lambda", "float", 0.0, 0.0, 100.0),
        ),
    ),
    "linear": EstimatorKind(
        "linear",
        _linear,
        (
            Hyperparam("alpha", "float", 1.0, 1e-6, 1e6, log=True),
            Hyperparam("fit_intercept", "bool", True),
        ),
    ),
    "forest": EstimatorKind(
        "forest",
        _forest,
        (
            Hyperparam("n_estimators", "int", 200, 10, 1000, log=True),
            Hyperparam("max_depth", "int", None, 1, 64, nullable=True),
            Hyperparam("min_samples_leaf", "int", 5, 1, 1000, log=True),
            Hyperparam("max_features", "float", 1.0, 0.05, 1.0),
        ),
    ),
    "lstm": EstimatorKind(
        "lstm",
        _lstm,
        (
            Hyperparam("hidden_size", "int", 16, 2, 256, log=True),
            Hyperparam("num_layers", "int", 1, 1, 4),
            Hyperparam("lookback", "int", 10, 2, 252, log=True),
            Hyperparam("epochs", "int", 30, 1, 500, log=True),
            Hyperparam("learning_rate", "float", 0.01, 1e-4, 0.1, log=True),
            Hyperparam("batch_size", "int", 64, 8, 4096, log=True),
            Hyperparam("dropout", "float", 0.0, 0.0, 0.5),
        ),
    ),
}
SEQUENCE_KINDS = frozenset({"lstm"})  # kinds whose X is (n, lookback, k) windows, not (n, k) rows


def estimator_kind(kind: str) -> EstimatorKind:
    try:
        return KINDS[kind]
    except KeyError:
        raise HyperparameterError({"kind": _unknown_kind(kind)}) from None


def hyperparams_validate(kind: str, params: Mapping[str, Any]) -> dict[str, str]:
    """{param: message} for every problem with `params` for `kind` (empty when they are good).
    An unknown kind is reported under "kind"; omitted params take their defaults."""
    if kind not in KINDS:
        return {"kind": _unknown_kind(kind)}
    space = {p.name: p for p in KINDS[kind].space}
    errors = {}
    for name, value in params.items():
        if name not in space:
            errors[name] = f"unknown hyperparameter for {kind}; allowed: {', '.join(space)}"
        elif (message := _check(space[name], value)) is not None:
            errors[name] = message
    return errors


def hyperparams_resolve(kind: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The defaults of `kind` overridden by `params`, validated (raises HyperparameterError)."""
    params = dict(params or {})
    if errors := hyperparams_validate(kind, params):
        raise HyperparameterError(errors)
    return {**KINDS[kind].defaults(), **params}


def fit(kind: str, params: Mapping[str, Any] | None, X, y, seed: int, *, n_jobs: int = 1):
    """Fit a `kind` model with `params` (defaults for the rest) on X (n, k), or (n, lookback, k)
    windows for a sequence kind, and y (n,), seeded."""
    model = estimator_kind(kind).build(hyperparams_resolve(kind, params), int(seed), int(n_jobs))
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    ndim = 3 if kind in SEQUENCE_KINDS else 2
    if X.ndim != ndim or y.shape != (X.shape[0],):
        shape = "(n, lookback, k)" if ndim == 3 else "(n, k)"
        raise ValueError(f"X must be {shape} and y (n,), got {X.shape} and {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError("y must be finite (drop samples whose label is unknown)")
    return model.fit(X, y)


def predict(model, X) -> np.ndarray:
    return np.asarray(model.predict(np.asarray(X, dtype=float)), dtype=float)


def _check(p: Hyperparam, value: Any) -> str | None:
    if value is None:
        return None if p.nullable else "must not be null"
    if p.type == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    # bool is an int in Python, but `true` is not a number of trees.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"must be {'an integer' if p.type == 'int' else 'a number'}"
    if p.type == "int" and not isinstance(value, numbers.Integral):
        return "must be an integer"
    if not math.isfinite(value):
        return "must be finite"
    if not p.low <= value <= p.high:
        return f"must be between {_fmt(p.low)} and {_fmt(p.high)}"
    return None


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _unknown_kind(kind: str) -> str:
    return f"unknown model kind {kind!r}; one of: {', '.join(KINDS)}"
