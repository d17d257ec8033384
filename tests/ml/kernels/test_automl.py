"""Optuna search: repeatable with a seed, the best trial is the argmin of the reported scores and its
score is the validation objective recomputed by hand, and a time budget ends the search."""

from __future__ import annotations

import numpy as np
import pytest

from apps.ml.kernels.automl import search
from apps.ml.kernels.estimators import HyperparameterError, fit, predict
from apps.ml.kernels.validation import purged_kfold_splits, walk_forward_splits


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    n = 240
    X = rng.standard_normal((n, 4))
    y = 0.8 * X[:, 0] - 0.4 * X[:, 1] * X[:, 2] + 0.5 * rng.standard_normal(n)
    t0 = np.arange(n, dtype=float)
    return X, y, t0, t0 + 3  # labels end 3 steps later


def test_same_seed_same_trials_and_the_best_is_the_argmin(problem):
    X, y, t0, t1 = problem
    splits = purged_kfold_splits(t0, t1, n_splits=3, embargo_pct=0.02)
    seen = []
    a = search("lightgbm", X, y, splits, seed=5, n_trials=6, fixed={"n_estimators": 20}, on_trial=seen.append)
    b = search("lightgbm", X, y, splits, seed=5, n_trials=6, fixed={"n_estimators": 20})
    assert [(t.number, t.params, t.score, t.state) for t in a.trials] == [
        (t.number, t.params, t.score, t.state) for t in b.trials
    ]
    assert [t.number for t in seen] == list(range(6))
    assert len({tuple(sorted(t.params.items())) for t in a.trials}) == 6
    assert all("n_estimators" not in t.params and t.duration > 0 for t in a.trials)
    scores = [t.score for t in a.trials]
    assert a.best_number == int(np.argmin(scores)) and a.best_score == min(scores)
    assert a.best_params == {**a.trials[a.best_number].params, "n_estimators": 20}
    other = search("lightgbm", X, y, splits, seed=6, n_trials=6, fixed={"n_estimators": 20})
    assert [t.params for t in other.trials] != [t.params for t in a.trials]


def test_best_score_is_the_mean_validation_error_recomputed(problem):
    X, y, t0, t1 = problem
    splits = walk_forward_splits(t0, t1, n_splits=3, test_size=40)
    result = search("linear", X, y, splits, seed=1, n_trials=5, metric="mae")
    by_hand = np.mean(
        [
            np.mean(
                np.abs(y[test] - predict(fit("linear", result.best_params, X[train], y[train], 1), X[test]))
            )
            for train, test in splits
        ]
    )
    assert result.best_score == pytest.approx(by_hand, rel=1e-12)
    assert set(result.best_params) == {"alpha", "fit_intercept"}


def test_the_time_budget_ends_the_search(problem):
    X, y, t0, t1 = problem
    splits = purged_kfold_splits(t0, t1, n_splits=2)
    result = search("forest", X, y, splits, seed=0, n_trials=100_000, timeout=1.0, fixed={"n_estimators": 10})
    assert 1 <= len(result.trials) < 100_000
    assert all(t.state == "COMPLETE" for t in result.trials)


def test_bad_arguments_are_refused(problem):
    X, y, t0, t1 = problem
    splits = purged_kfold_splits(t0, t1, n_splits=2)
    with pytest.raises(ValueError, match="budget"):
        search("linear", X, y, splits, seed=0)
    with pytest.raises(ValueError, match="metric"):
        search("linear", X, y, splits, seed=0, n_trials=1, metric="r2")
    with pytest.raises(HyperparameterError) as err:
        search("linear", X, y, splits, seed=0, n_trials=1, fixed={"alpha": -1.0})
    assert err.value.errors == {"alpha": "must be between 1e-06 and 1000000"}


def test_failed_trials_are_reported_not_raised(problem):
    X, y, t0, t1 = problem
    y_bad = y.copy()
    y_bad[:10] = np.nan  # training labels that are not finite: every fit refuses them
    splits = walk_forward_splits(t0, t1, n_splits=1, test_size=20)
    seen = []
    with pytest.raises(ValueError, match="no trial completed out of 3"):
        search("linear", X, y_bad, splits, seed=0, n_trials=3, on_trial=seen.append)
    assert [(t.number, t.state, t.score) for t in seen] == [
        (0, "FAIL", None),
        (1, "FAIL", None),
        (2, "FAIL", None),
    ]
