"""A training request, checked: every field the way `model_train` and `POST /api/ml/models/train` take
it, turned into a `TrainRequest` or refused with a ValidationError keyed by the body's field.

What is checked here is cheap (the database is read for the model, the symbols and the feature set,
no bars), so the API can answer 400 before it starts a job; what needs the data (enough samples in
the window, enough for the splits) is checked by the fitting itself and fails the job the same way.

Hyperparameters per estimator: the price kinds' are `kernels.estimators`' spaces (and AutoML's);
the others are stated in `SPACES` below, with the defaults the kernels use.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError

from ...kernels import automl, estimators, lstm
from ...kernels.volatility import DISTS, MEANS
from ...models import ESTIMATORS, MLModel, ModelKind
from ...models.ml_models import name_validator
from ...selectors.training_data import feature_set_labels, symbols_checked, window_checked

MAX_SYMBOLS = 1000
MAX_HORIZON = 252
MAX_SEED = 2**32 - 1  # numpy's and LightGBM's seeds are 32-bit
MIN_TEXTS = 10
MAX_TEXTS = 100_000
DEFAULT_ALPHA = 0.1
DEFAULT_VALIDATION = {"method": "purged_kfold", "n_splits": 5, "embargo_pct": 0.01}
METHODS = ("walk_forward", "purged_kfold")
RESERVED_NAMES = ("train", "ab_test")  # path segments after /api/ml/models/ that are endpoints
TARGET_RE = re.compile(r"^return_([1-9][0-9]*)d$")
# Targets of the kinds that do not predict a return (the model row states one; any text is fine).
DEFAULT_TARGETS = {"volatility": "variance_1d", "regime": "regime", "sentiment": "sentiment"}


@dataclass(frozen=True)
class Param:
    type: str  # "int", "float", "bool", "choice"
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    nullable: bool = False


VOLATILITY_SPACE = {
    "dist": Param("choice", "normal", choices=tuple(DISTS)),
    "mean": Param("choice", "constant", choices=tuple(MEANS)),
}
SPACES: dict[str, dict[str, Param]] = {
    "garch": VOLATILITY_SPACE,
    "gjr": VOLATILITY_SPACE,
    "egarch": VOLATILITY_SPACE,
    "hmm": {
        "n_states": Param("int", 2, 2, 6),
        "covariance_type": Param("choice", "full", choices=("full", "diag")),
        "n_iter": Param("int", 100, 10, 1000),
    },
    "markov": {
        "n_regimes": Param("int", 2, 2, 4),
        "switching_variance": Param("bool", True),
    },
    "tfidf": {
        "C": Param("float", 1.0, 1e-4, 1e4),
        "max_features": Param("int", 50_000, 10, 1_000_000, nullable=True),
    },
    "vader": {},
}


@dataclass(frozen=True)
class Validation:
    method: str
    n_splits: int
    embargo_pct: float


@dataclass(frozen=True)
class AutoML:
    trials: int | None
    timeout_s: float | None
    metric: str


@dataclass(frozen=True)
class TrainRequest:
    name: str
    kind: str
    estimator: str
    target: str
    horizon: int | None  # price: bars ahead of the forward return
    feature_set: str | None
    features: tuple[str, ...]  # the feature set's members, "name@version"
    symbols: tuple[str, ...]
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    hyperparameters: dict  # given by the caller (price + AutoML: held fixed in the search)
    resolved: dict  # defaults overridden by the given ones
    validation: Validation | None
    automl: AutoML | None
    alpha: float | None
    seed: int
    texts: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    alias: str | None = None
    model: MLModel | None = field(default=None, compare=False)  # the registered model, if any


def _fail(field_name: str, message: str):
    raise ValidationError({field_name: message})


def _kind_and_estimator(kind, estimator) -> None:
    if kind not in ModelKind.values:
        _fail("kind", f"unknown kind {kind!r}; one of: {', '.join(ModelKind.values)}")
    if estimator not in ESTIMATORS[kind]:
        _fail("estimator", f"a {kind} model uses one of: {', '.join(ESTIMATORS[kind])}; got {estimator!r}")
    if estimator == "lstm" and not lstm.available():
        _fail(
            "estimator",
            'the LSTM needs PyTorch: install the lstm extra (pip install -e ".[lstm]") '
            "or use lightgbm, linear or forest",
        )


def _target(kind: str, target) -> tuple[str, int | None]:
    if kind != "price":
        text = target or DEFAULT_TARGETS[kind]
        if not isinstance(text, str) or len(text) > 64:
            _fail("target", "give text of at most 64 characters")
        return text, None
    match = TARGET_RE.match(target) if isinstance(target, str) else None
    if match is None:
        _fail("target", 'a price model predicts a forward return: "return_{h}d", e.g. "return_5d"')
    horizon = int(match.group(1))
    if horizon > MAX_HORIZON:
        _fail("target", f"the horizon is at most {MAX_HORIZON} bars, got {horizon}")
    return target, horizon


def _hyperparameters(kind: str, estimator: str, given) -> tuple[dict, dict]:
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        _fail("hyperparameters", "give an object of hyperparameters")
    given = dict(given)
    if kind == "price":
        errors = estimators.hyperparams_validate(estimator, given)
        if errors:
            _fail("hyperparameters", "; ".join(f"{k}: {v}" for k, v in errors.items()))
        return given, estimators.hyperparams_resolve(estimator, given)
    space = SPACES[estimator]
    errors = {k: _param_error(space[k], v) if k in space else "unknown" for k, v in given.items()}
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        allowed = (
            f" (allowed for {estimator}: {', '.join(space) or 'none'})"
            if "unknown" in errors.values()
            else ""
        )
        _fail("hyperparameters", "; ".join(f"{k}: {v}" for k, v in errors.items()) + allowed)
    return given, {**{k: p.default for k, p in space.items()}, **given}


def _param_error(p: Param, value) -> str | None:
    if value is None:
        return None if p.nullable else "must not be null"
    if p.type == "choice":
        return None if value in p.choices else f"one of: {', '.join(map(str, p.choices))}"
    if p.type == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        return "must be a number"
    if p.type == "int" and not isinstance(value, numbers.Integral):
        return "must be an integer"
    if not p.low <= value <= p.high:
        return f"must be between {p.low:g} and {p.high:g}"
    return None


def _validation(value) -> Validation:
    body = {**DEFAULT_VALIDATION, **(value or {})} if isinstance(value, Mapping | None) else None
    if body is None:
        _fail("validation", 'give an object: {"method", "n_splits", "embargo_pct"}')
    unknown = sorted(set(body) - set(DEFAULT_VALIDATION))
    if unknown:
        _fail("validation", f"unknown key(s): {', '.join(unknown)}")
    method, n_splits, embargo = body["method"], body["n_splits"], body["embargo_pct"]
    if method not in METHODS:
        _fail("validation", f"method: one of {', '.join(METHODS)}")
    if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral) or not 2 <= n_splits <= 20:
        _fail("validation", "n_splits: a whole number from 2 to 20")
    if isinstance(embargo, bool) or not isinstance(embargo, numbers.Real) or not 0 <= embargo < 0.5:
        _fail("validation", "embargo_pct: a number in [0, 0.5)")
    if method == "walk_forward" and value and "embargo_pct" in value and embargo != 0:
        _fail("validation", "embargo_pct applies to purged_kfold (walk-forward trains only before its test)")
    return Validation(method, int(n_splits), float(embargo) if method == "purged_kfold" else 0.0)


def _automl(value) -> AutoML | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        _fail("automl", 'give an object: {"trials": n, "timeout_s": s}')
    unknown = sorted(set(value) - {"trials", "timeout_s", "metric"})
    if unknown:
        _fail("automl", f"unknown key(s): {', '.join(unknown)}")
    trials, timeout, metric = value.get("trials"), value.get("timeout_s"), value.get("metric", "mse")
    if trials is None and timeout is None:
        _fail("automl", "give a budget: trials, timeout_s or both")
    if trials is not None and (
        isinstance(trials, bool) or not isinstance(trials, int) or not 1 <= trials <= 500
    ):
        _fail("automl", "trials: a whole number from 1 to 500")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not 0 < timeout <= 3000
    ):
        _fail("automl", "timeout_s: seconds, more than 0 and at most 3000 (the ml queue's time limit)")
    if metric not in automl.METRICS:
        _fail("automl", f"metric: one of {', '.join(automl.METRICS)}")
    return AutoML(trials, None if timeout is None else float(timeout), metric)


def _alpha(value) -> float:
    alpha = DEFAULT_ALPHA if value is None else value
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0.001 <= alpha <= 0.5:
        _fail("alpha", "the interval's miscoverage: a number from 0.001 to 0.5 (0.1 gives 90 % intervals)")
    return float(alpha)


def _seed(value) -> int:
    seed = 0 if value is None else value
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= MAX_SEED:
        _fail("seed", f"a whole number from 0 to {MAX_SEED}")
    return int(seed)


def _texts(texts, labels) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if (
        not isinstance(texts, Sequence)
        or isinstance(texts, str)
        or not all(isinstance(t, str) for t in texts)
    ):
        _fail("texts", "give a list of headlines (strings)")
    if not isinstance(labels, Sequence) or isinstance(labels, str):
        _fail("labels", "give one label per headline")
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in labels):
        _fail("labels", "labels are strings or whole numbers")
    if not MIN_TEXTS <= len(texts) <= MAX_TEXTS:
        _fail("texts", f"give {MIN_TEXTS} to {MAX_TEXTS} labelled headlines, got {len(texts)}")
    if len(labels) != len(texts):
        _fail("labels", f"{len(labels)} labels for {len(texts)} headlines")
    if len({str(v) for v in labels}) < 2:
        _fail("labels", "the classifier needs at least two distinct labels")
    return tuple(texts), tuple(str(v) for v in labels)


def registered_model_check(
    name: str, kind: str, estimator: str, target: str, feature_set: str | None
) -> MLModel | None:
    model = MLModel.objects.filter(name=name).first()
    if model is None:
        return None
    stated = {"kind": kind, "estimator": estimator, "target": target, "feature_set": feature_set or ""}
    registered = {
        "kind": model.kind,
        "estimator": model.estimator,
        "target": model.target,
        "feature_set": model.feature_set_name,
    }
    for key, value in stated.items():
        if value != registered[key]:
            _fail(
                key,
                f"model {name!r} is registered with {key} {registered[key]!r}; train a new name for {value!r}",
            )
    return model


def _only_for(field_name: str, value, allowed: bool, what: str) -> None:
    if value not in (None, (), [], {}) and not allowed:
        _fail(field_name, f"not used by {what}")


def training_request_check(
    *,
    name: str,
    kind: str,
    estimator: str,
    target: str = "",
    feature_set: str | None = None,
    symbols: Sequence[str] = (),
    start=None,
    end=None,
    hyperparameters: Mapping | None = None,
    validation: Mapping | None = None,
    automl: Mapping | None = None,
    alpha: float | None = None,
    seed: int | None = None,
    texts: Sequence[str] | None = None,
    labels: Sequence | None = None,
    alias: str | None = None,
) -> TrainRequest:
    """The request, checked and with its defaults filled (see the module docstring)."""
    try:
        name_validator(name if isinstance(name, str) else "")
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from None
    if name in RESERVED_NAMES:
        _fail("name", f"{name!r} is reserved: /api/ml/models/{name} is an endpoint, not a model")
    _kind_and_estimator(kind, estimator)
    what = f"a {estimator} {kind} model"
    target, horizon = _target(kind, target)
    feature_set = feature_set or None
    if kind == "price" and feature_set is None:
        _fail("feature_set", "a price model reads a feature set: give its name")
    _only_for("feature_set", feature_set, kind == "price" or estimator == "hmm", what)
    model = registered_model_check(name, kind, estimator, target, feature_set)
    _only_for("validation", validation, kind == "price", what)
    _only_for("automl", automl, kind == "price", what)
    _only_for("alpha", alpha, kind == "price", what)
    _only_for("texts", texts, estimator == "tfidf", what)
    _only_for("labels", labels, estimator == "tfidf", what)
    _only_for("symbols", symbols, kind != "sentiment", what)
    given, resolved = _hyperparameters(kind, estimator, hyperparameters)
    if alias is not None:
        try:
            name_validator(alias if isinstance(alias, str) else "")
        except ValidationError as exc:
            raise ValidationError({"alias": exc.messages}) from None
    checked_texts, checked_labels = _texts(texts, labels) if estimator == "tfidf" else ((), ())
    lo, hi = window_checked(start, end) if kind != "sentiment" else (None, None)
    return TrainRequest(
        name=name,
        kind=kind,
        estimator=estimator,
        target=target,
        horizon=horizon,
        feature_set=feature_set,
        features=feature_set_labels(feature_set) if feature_set else (),
        symbols=tuple(symbols_checked(symbols, cap=MAX_SYMBOLS)) if kind != "sentiment" else (),
        start=lo,
        end=hi,
        hyperparameters=given,
        resolved=resolved,
        validation=_validation(validation) if kind == "price" else None,
        automl=_automl(automl) if kind == "price" else None,
        alpha=_alpha(alpha) if kind == "price" else None,
        seed=_seed(seed),
        texts=checked_texts,
        labels=checked_labels,
        alias=alias,
        model=model,
    )
