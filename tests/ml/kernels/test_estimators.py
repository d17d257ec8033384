"""Model kinds: each fit equals its library called directly with the same arguments, is repeatable
with a seed, and bad hyperparameters are named with a message."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge

from apps.ml.kernels.estimators import (
    KINDS,
    SEQUENCE_KINDS,
    HyperparameterError,
    fit,
    hyperparams_resolve,
    hyperparams_validate,
    predict,
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((400, 6))
    y = X[:, 0] - 0.5 * X[:, 1] ** 2 + 0.3 * rng.standard_normal(400)
    return X[:300], y[:300], X[300:]


def test_lightgbm_equals_the_library(data):
    X, y, X_new = data
    params = {"n_estimators": 50, "learning_rate": 0.1, "num_leaves": 15, "subsample": 0.7}
    ours = predict(fit("lightgbm", params, X, y, seed=3), X_new)
    ref = lgb.LGBMRegressor(
        n_estimators=50,
        learning_rate=0.1,
        num_leaves=15,
        subsample=0.7,
        subsample_freq=1,
        min_child_samples=20,
        colsample_bytree=1.0,
        reg_alpha=0.0,
        reg_lambda=0.0,
        random_state=3,
        n_jobs=1,
        deterministic=True,
        force_row_wise=True,
        verbose=-1,
    ).fit(X, y)
    np.testing.assert_array_equal(ours, ref.predict(X_new))


def test_linear_and_forest_equal_the_library(data):
    X, y, X_new = data
    ridge = predict(fit("linear", {"alpha": 3.0}, X, y, seed=0), X_new)
    np.testing.assert_allclose(ridge, Ridge(alpha=3.0).fit(X, y).predict(X_new), rtol=1e-12)
    forest = predict(fit("forest", {"n_estimators": 20, "max_depth": 4}, X, y, seed=5), X_new)
    ref = RandomForestRegressor(
        n_estimators=20, max_depth=4, min_samples_leaf=5, max_features=1.0, random_state=5, n_jobs=1
    ).fit(X, y)
    np.testing.assert_array_equal(forest, ref.predict(X_new))


@pytest.mark.parametrize("kind", sorted(KINDS.keys() - SEQUENCE_KINDS))  # lstm: tests/ml/kernels/test_lstm.py
def test_same_seed_same_model_other_seed_other_model(data, kind):
    X, y, X_new = data
    params = {"lightgbm": {"n_estimators": 30, "subsample": 0.5, "colsample_bytree": 0.5}}.get(kind, {})
    if kind == "forest":
        params = {"n_estimators": 15}
    a = predict(fit(kind, params, X, y, seed=11), X_new)
    np.testing.assert_array_equal(a, predict(fit(kind, params, X, y, seed=11), X_new))
    if kind == "forest":  # threads change only the order of the sum over trees: equal to rounding
        np.testing.assert_allclose(a, predict(fit(kind, params, X, y, seed=11, n_jobs=2), X_new), rtol=1e-13)
    if kind != "linear":  # Ridge's exact solver has no randomness for a seed to change
        assert not np.array_equal(a, predict(fit(kind, params, X, y, seed=12), X_new))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_defaults_are_inside_their_own_space(kind):
    assert hyperparams_validate(kind, KINDS[kind].defaults()) == {}
    for p in KINDS[kind].space:
        if p.type != "bool":
            assert p.low <= p.high and (not p.log or p.low > 0)


def test_bad_hyperparameters_are_named():
    errors = hyperparams_validate(
        "lightgbm",
        {
            "n_estimators": 0,
            "learning_rate": "fast",
            "num_leaves": 7.5,
            "subsample": float("nan"),
            "reg_alpha": True,
            "min_child_samples": None,
            "max_bins": 10,
        },
    )
    assert errors == {
        "n_estimators": "must be between 10 and 2000",
        "learning_rate": "must be a number",
        "num_leaves": "must be an integer",
        "subsample": "must be finite",
        "reg_alpha": "must be a number",
        "min_child_samples": "must not be null",
        "max_bins": (
            "unknown hyperparameter for lightgbm; allowed: n_estimators, learning_rate, num_leaves, "
            "min_child_samples, subsample, colsample_bytree, reg_alpha, reg_lambda"
        ),
    }
    assert hyperparams_validate("linear", {"fit_intercept": 1, "alpha": 1e-7}) == {
        "fit_intercept": "must be true or false",
        "alpha": "must be between 1e-06 and 1000000",
    }
    assert hyperparams_validate("forest", {"max_depth": None, "max_features": 0.5}) == {}
    assert hyperparams_validate("xgboost", {}) == {
        "kind": "unknown model kind 'xgboost'; one of: lightgbm, linear, forest, lstm"
    }


def test_fit_refuses_bad_hyperparameters_and_labels(data):
    X, y, _ = data
    with pytest.raises(HyperparameterError) as err:
        fit("forest", {"n_estimators": 5}, X, y, seed=0)
    assert err.value.errors == {"n_estimators": "must be between 10 and 1000"}
    with pytest.raises(HyperparameterError):
        fit("svm", {}, X, y, seed=0)
    y_nan = y.copy()
    y_nan[3] = np.nan
    with pytest.raises(ValueError, match="finite"):
        fit("linear", {}, X, y_nan, seed=0)
    assert hyperparams_resolve("linear", {"alpha": 2}) == {"alpha": 2, "fit_intercept": True}
