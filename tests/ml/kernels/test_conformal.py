"""Conformal intervals: the quantile by hand on a tiny example, and coverage on simulated data within
a binomial tolerance of nominal (split-conformal and conformalized LightGBM quantile models)."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from apps.ml.kernels.conformal import (
    conformal_quantile,
    coverage,
    cqr_calibrate,
    cqr_scores,
    quantile_interval,
    quantile_models_fit,
    split_conformal_halfwidth,
    split_conformal_interval,
)
from apps.ml.kernels.estimators import fit, predict

SCORES = [0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6]  # n = 9, sorted: 0.1, 0.2, ..., 0.9


def test_quantile_by_hand():
    # alpha 0.2: level (9 + 1)(1 - 0.2) / 9 = 8/9; numpy's "higher" takes sorted[ceil(8/9 * (9 - 1))]
    # = sorted[ceil(7.11)] = sorted[8] = 0.9 (one above the textbook 8th smallest, 0.8: conservative).
    assert conformal_quantile(SCORES, 0.2) == 0.9
    # alpha 0.5: level 10 * 0.5 / 9 = 5/9; sorted[ceil(5/9 * 8)] = sorted[ceil(4.44)] = sorted[5] = 0.6.
    assert conformal_quantile(SCORES, 0.5) == 0.6
    # alpha 0.7: level 10 * 0.3 / 9 = 1/3; sorted[ceil(8/3)] = sorted[3] = 0.4.
    assert conformal_quantile(SCORES, 0.7) == 0.4
    # alpha 0.1: level exactly 1 -> the largest score; alpha 0.05: level 10 * 0.95 / 9 > 1 -> no
    # finite quantile from 9 scores.
    assert conformal_quantile(SCORES, 0.1) == 0.9
    assert conformal_quantile(SCORES, 0.05) == np.inf
    np.testing.assert_array_equal(conformal_quantile(SCORES, [0.05, 0.2, 0.5]), [np.inf, 0.9, 0.6])


def test_interval_from_residuals_by_hand():
    y_cal = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    pred_cal = y_cal - np.array(SCORES) * np.array([1, -1, 1, -1, 1, -1, 1, -1, 1])  # |residual| = SCORES
    q = split_conformal_halfwidth(y_cal, pred_cal, 0.5)
    assert q == pytest.approx(0.6, abs=1e-15)
    lo, hi = split_conformal_interval([10.0, -1.0], q)
    np.testing.assert_allclose(lo, [9.4, -1.6])
    np.testing.assert_allclose(hi, [10.6, -0.4])
    assert coverage([9.4, 10.7, -1.0], [9.4, 9.4, -1.6], [10.6, 10.6, -0.4]) == pytest.approx(2 / 3)


def test_quantile_refuses_bad_alpha_and_scores():
    for alpha in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="alpha"):
            conformal_quantile(SCORES, alpha)
    with pytest.raises(ValueError, match="finite"):
        conformal_quantile([0.1, np.nan], 0.1)


def simulate(rng, n):
    """Heteroscedastic data: the noise grows with |x1|, so a constant-width interval is miscalibrated
    locally but still covers on average."""
    X = rng.uniform(-2, 2, (n, 3))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] + (0.2 + 0.3 * np.abs(X[:, 0])) * rng.standard_normal(n)
    return X, y


def binomial_bounds(alpha: float, n_cal: int, reps: int) -> tuple[float, float]:
    """Marginal split-conformal coverage lies in [1 - alpha, 1 - alpha + 1 / (n + 1)]; the share over
    `reps` independent draws is within 4 binomial standard errors of it."""
    p = 1 - alpha
    tol = 4 * np.sqrt(p * (1 - p) / reps)
    return p - tol, p + 1 / (n_cal + 1) + tol


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.2, 0.5])
def test_split_conformal_reaches_nominal_coverage(alpha):
    """A fixed fitted model; 20,000 independent calibration sets of 99 points, each with one new
    point: the share of new points inside their interval is the marginal coverage."""
    rng = np.random.default_rng(42)
    X_train, y_train = simulate(rng, 500)
    model = fit("linear", {}, X_train, y_train, seed=0)
    reps, n_cal = 20_000, 99
    X, y = simulate(rng, reps * (n_cal + 1))
    scores = np.abs(y - predict(model, X)).reshape(reps, n_cal + 1)
    q = conformal_quantile(scores[:, :n_cal], alpha)  # one q per calibration set
    covered = scores[:, n_cal] <= q
    low, high = binomial_bounds(alpha, n_cal, reps)
    assert low <= covered.mean() <= high


def test_quantile_models_equal_lightgbm_called_directly():
    rng = np.random.default_rng(1)
    X, y = simulate(rng, 600)
    models = quantile_models_fit(X, y, 0.2, params={"n_estimators": 40, "num_leaves": 7}, seed=4)
    lo, hi = quantile_interval(models, X[:50])
    for level, got in ((0.1, lo), (0.9, hi)):
        ref = lgb.LGBMRegressor(
            objective="quantile",
            alpha=level,
            n_estimators=40,
            num_leaves=7,
            learning_rate=0.05,
            min_child_samples=20,
            subsample=1.0,
            subsample_freq=1,
            colsample_bytree=1.0,
            reg_alpha=0.0,
            reg_lambda=0.0,
            random_state=4,
            n_jobs=1,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        ).fit(X, y)
        np.testing.assert_array_equal(got, ref.predict(X[:50]))
    assert (hi > lo).mean() > 0.95


def test_cqr_scores_by_hand():
    # y inside [0, 2] by 0.5 -> -0.5; above by 1 -> 1; below by 0.25 -> 0.25.
    np.testing.assert_allclose(cqr_scores([1.5, 3.0, -0.25], [0, 0, 0], [2, 2, 2]), [-0.5, 1.0, 0.25])


@pytest.mark.parametrize("alpha", [0.1, 0.2])
def test_conformalized_quantile_models_reach_nominal_coverage(alpha):
    rng = np.random.default_rng(3)
    X_train, y_train = simulate(rng, 2000)
    models = quantile_models_fit(X_train, y_train, alpha, params={"n_estimators": 60}, seed=0)
    reps, n_cal = 4000, 99
    X, y = simulate(rng, reps * (n_cal + 1))
    lo, hi = quantile_interval(models, X)
    scores = cqr_scores(y, lo, hi).reshape(reps, n_cal + 1)
    covered = scores[:, n_cal] <= conformal_quantile(scores[:, :n_cal], alpha)
    low, high = binomial_bounds(alpha, n_cal, reps)
    assert low <= covered.mean() <= high
    # cqr_calibrate on one calibration set applies the same q to the models' intervals.
    calibrated = cqr_calibrate(models, X[:n_cal], y[:n_cal])
    assert calibrated.adjustment == conformal_quantile(scores[0, :n_cal], alpha)
    lo_c, hi_c = quantile_interval(calibrated, X[n_cal : n_cal + 5])
    np.testing.assert_allclose(lo_c, lo[n_cal : n_cal + 5] - calibrated.adjustment)
    np.testing.assert_allclose(hi_c, hi[n_cal : n_cal + 5] + calibrated.adjustment)
