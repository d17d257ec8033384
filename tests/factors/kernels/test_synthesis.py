"""Synthesis kernels against independent references: pandas z-scores, per-date OLS residuals
(numpy lstsq), scipy's polar decomposition for the closest orthonormal set, the closed-form 2 x 2
max-ICIR weights, sklearn's PCA and Ledoit-Wolf shrinkage, scipy's spearmanr, and hand-worked
composites."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import linalg, stats
from sklearn.covariance import ledoit_wolf_shrinkage
from sklearn.decomposition import PCA

from apps.factors.kernels.orthogonalize import orthogonalize
from apps.factors.kernels.synthesis import (
    combination_weights,
    composite,
    regression_design,
    standardize,
    synthesize,
)


def zscore_rows(panel: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame(panel)
    return frame.sub(frame.mean(axis=1), axis=0).div(frame.std(axis=1), axis=0).to_numpy()


@pytest.fixture(scope="module")
def factors() -> np.ndarray:
    """Three correlated factors on 25 dates x 30 names, with holes and a date with too few names."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((3, 25, 30))
    x = np.stack([base[0], 0.6 * base[0] + base[1], 0.3 * base[0] - 0.5 * base[1] + base[2]])
    x[0][rng.random((25, 30)) < 0.1] = np.nan
    x[2][rng.random((25, 30)) < 0.1] = np.nan
    x[1, 4, 3:] = np.nan  # date 4: 3 common names for 3 factors
    return x


def test_standardize_equals_pandas_per_factor(factors):
    x = factors.copy()
    x[1, 7] = 2.5  # no dispersion on that date
    got = standardize(x)
    expected = np.stack([zscore_rows(f) for f in x])
    expected[1, 7] = np.nan
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)


def common_names(x: np.ndarray, t: int) -> np.ndarray:
    return np.isfinite(x[:, t]).all(axis=0)


@pytest.mark.parametrize("method", ["gram_schmidt", "symmetric"])
def test_orthogonalized_factors_are_uncorrelated_unit_variance(factors, method):
    out = orthogonalize(factors, method)
    for t in range(25):
        names = common_names(factors, t)
        assert np.isnan(out[:, t, ~names]).all()
        if t == 4:
            assert np.isnan(out[:, t]).all()  # 3 names for 3 factors: nothing to orthogonalize
            continue
        cross_section = out[:, t, names]
        np.testing.assert_allclose(np.cov(cross_section, ddof=1), np.eye(3), atol=1e-10)
        np.testing.assert_allclose(cross_section.mean(axis=1), 0.0, atol=1e-12)


def test_gram_schmidt_is_sequential_ols_residuals(factors):
    out = orthogonalize(factors, "gram_schmidt")
    for t in [0, 9, 24]:
        names = common_names(factors, t)
        x = factors[:, t, names]
        np.testing.assert_allclose(out[0, t, names], zscore_rows(x[:1])[0], rtol=1e-10)
        for k in (1, 2):
            design = np.column_stack([np.ones(names.sum()), x[:k].T])
            residual = x[k] - design @ np.linalg.lstsq(design, x[k], rcond=None)[0]
            np.testing.assert_allclose(
                out[k, t, names], zscore_rows(residual[None])[0], rtol=1e-8, atol=1e-12
            )


def test_symmetric_is_the_closest_orthonormal_set(factors):
    out = orthogonalize(factors, "symmetric")
    for t in [0, 9, 24]:
        names = common_names(factors, t)
        z = zscore_rows(factors[:, t, names])
        scale = np.sqrt(names.sum() - 1)
        polar, _ = linalg.polar(z.T / scale)  # the orthonormal-column matrix nearest to z.T / scale
        np.testing.assert_allclose(out[:, t, names], polar.T * scale, rtol=1e-8, atol=1e-10)


def test_collinear_date_is_nan():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 20))
    x[1, 1] = 2.0 * x[0, 1] + 1.0
    for method in ("gram_schmidt", "symmetric"):
        out = orthogonalize(x, method)
        assert np.isnan(out[:, 1]).all() and np.isfinite(out[:, [0, 2]]).all()


def exact_moments(rng, mean, cov, t):
    """A (K, T) sample whose sample mean and covariance (ddof=1) are exactly `mean` and `cov`."""
    draws = rng.standard_normal((len(mean), t))
    draws -= draws.mean(axis=1, keepdims=True)
    whitened = np.linalg.solve(np.linalg.cholesky(np.cov(draws)), draws)
    return np.linalg.cholesky(cov) @ whitened + np.asarray(mean)[:, None]


def test_weights_equal_ic_icir_by_hand():
    ic = np.array([[0.02, 0.04, 0.06, np.nan], [-0.01, -0.03, -0.02, -0.02], [0.0, 0.1, 0.0, 0.1]])
    np.testing.assert_allclose(combination_weights(ic, "equal"), [1 / 3] * 3)
    means = np.array([0.04, -0.02, 0.05])
    np.testing.assert_allclose(combination_weights(ic, "ic"), means / 0.11)
    stds = np.array([0.02, np.sqrt(0.0002 / 3), np.sqrt(0.01 / 3)])
    icir = means / stds
    np.testing.assert_allclose(combination_weights(ic, "icir"), icir / np.abs(icir).sum())


def test_max_icir_weights_are_the_analytic_solution():
    mean, cov = np.array([0.03, 0.02]), np.array([[0.0025, 0.0012], [0.0012, 0.0016]])
    ic = exact_moments(np.random.default_rng(2), mean, cov, 120)
    (a, b), (_, d) = cov
    raw = np.array([d * mean[0] - b * mean[1], a * mean[1] - b * mean[0]]) / (a * d - b * b)  # Σ⁻¹ μ
    np.testing.assert_allclose(combination_weights(ic, "max_icir", shrink=False), raw / np.abs(raw).sum())
    # Shrunk: Σ* = (1 - δ) S + δ (tr S / K) I with the MLE S and sklearn's Ledoit-Wolf intensity δ.
    delta = ledoit_wolf_shrinkage(ic.T)
    s = cov * (119 / 120)
    shrunk = (1 - delta) * s + delta * np.trace(s) / 2 * np.eye(2)
    raw = np.linalg.solve(shrunk, mean)
    np.testing.assert_allclose(combination_weights(ic, "max_icir", shrink=True), raw / np.abs(raw).sum())


def test_redundant_pair_shares_its_weight():
    rng = np.random.default_rng(3)
    first = 0.03 + 0.05 * rng.standard_normal(200)
    other = 0.01 + 0.05 * rng.standard_normal(200)
    ic = np.stack([first, first, other])
    for shrink in (False, True):
        w = combination_weights(ic, "max_icir", shrink=shrink)
        assert w[0] == pytest.approx(w[1], rel=1e-9) and np.abs(w).sum() == pytest.approx(1.0)
    np.testing.assert_allclose(combination_weights(ic[:2], "max_icir", shrink=False), [0.5, 0.5])


def test_pca_finds_the_common_component_with_positive_ic_sign():
    rng = np.random.default_rng(4)
    common = rng.standard_normal((1, 40, 50))
    noise_scale = np.array([0.5, 1.0, 2.0])[:, None, None]
    x = common + noise_scale * rng.standard_normal((3, 40, 50))
    ic = np.full((3, 10), -0.02)  # the common component predicts badly here: the sign flips
    w = combination_weights(ic, "pca", factors=x)
    assert (w < 0).all() and np.abs(w[0]) > np.abs(w[1]) > np.abs(w[2])
    z = standardize(x).reshape(3, -1).T
    reference = PCA(n_components=1).fit(z).components_[0]  # z has unit variances: PCA on correlation
    np.testing.assert_allclose(np.abs(w), np.abs(reference) / np.abs(reference).sum(), rtol=1e-6)
    assert (combination_weights(-ic, "pca", factors=x) > 0).all()


def test_bad_weight_requests_are_refused():
    with pytest.raises(ValueError):
        combination_weights(np.full((2, 5), np.nan), "ic")
    with pytest.raises(ValueError):
        combination_weights(np.zeros((2, 5)), "pca")
    with pytest.raises(ValueError):
        combination_weights(np.zeros((2, 5)), "best")


def test_composite_hand_worked():
    # One date, four names; z-scores worked by hand: [1, 2, 3, 4] -> [-1.5, -0.5, 0.5, 1.5] / s
    s = np.std([1, 2, 3, 4], ddof=1)
    a = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    b = np.array([[[4.0, 3.0, np.nan, 1.0]]])  # mean 8/3, deviations 4/3, 1/3, -5/3
    sb = np.sqrt((16 + 1 + 25) / 9 / 2)
    za, zb = np.array([-1.5, -0.5, 0.5, 1.5]) / s, np.array([4 / 3, 1 / 3, np.nan, -5 / 3]) / sb
    weights = np.array([0.75, -0.25])
    got = composite(np.concatenate([a, b]), weights)[0]
    expected = 0.75 * za - 0.25 * zb
    expected[2] = 0.75 * za[2] * (1.0 / 0.75)  # renormalized over the factor present
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    strict = composite(np.concatenate([a, b]), weights, missing="nan")[0]
    assert np.isnan(strict[2]) and np.allclose(strict[[0, 1, 3]], expected[[0, 1, 3]])
    # A zero weight makes a factor irrelevant to missingness:
    np.testing.assert_allclose(composite(np.concatenate([a, b]), np.array([1.0, 0.0]), missing="nan")[0], za)


@pytest.fixture(scope="module")
def market():
    """A true signal, two noise factors and a weakly informative one, on 120 dates x 80 names."""
    rng = np.random.default_rng(5)
    t, n = 120, 80
    signal = rng.standard_normal((t, n))
    fwd = 0.3 * signal + rng.standard_normal((t, n))
    weak = 0.05 * fwd + rng.standard_normal((t, n))
    x = np.stack([rng.standard_normal((t, n)), signal, rng.standard_normal((t, n)), weak])
    x[rng.random(x.shape) < 0.05] = np.nan
    fwd[rng.random((t, n)) < 0.05] = np.nan
    train = np.arange(t) < 80
    return x, fwd, train


def reference_mean_rank_ic(a, b):
    ics = []
    for x, y in zip(a, b, strict=True):
        both = np.isfinite(x) & np.isfinite(y)
        ics.append(stats.spearmanr(x[both], y[both]).statistic)
    return np.nanmean(ics)


@pytest.mark.parametrize("method", ["equal", "ic", "icir", "max_icir", "pca"])
def test_synthesize_puts_weight_on_the_signal(market, method):
    x, fwd, train = market
    result = synthesize(x, fwd, method, train)
    assert result.composite.shape == fwd.shape and np.abs(result.weights).sum() == pytest.approx(1.0)
    if method not in ("equal", "pca"):  # those two do not look at the ICs' sizes
        assert np.argmax(np.abs(result.weights)) == 1 and result.weights[1] > 0.5
    assert result.ic_in_sample > 0
    assert result.ic_in_sample == pytest.approx(
        reference_mean_rank_ic(result.composite[train], fwd[train]), rel=1e-10
    )
    assert result.ic_out_of_sample == pytest.approx(
        reference_mean_rank_ic(result.composite[~train], fwd[~train]), rel=1e-10
    )


@pytest.mark.parametrize("method", ["ic", "max_icir", "pca"])
def test_test_dates_do_not_change_the_weights(market, method):
    x, fwd, train = market
    before = synthesize(x, fwd, method, train)
    scrambled = fwd.copy()
    scrambled[~train] = np.random.default_rng(6).permutation(fwd[~train].ravel()).reshape(-1, fwd.shape[1])
    after = synthesize(x, scrambled, method, train)
    np.testing.assert_array_equal(after.weights, before.weights)
    assert after.ic_in_sample == before.ic_in_sample
    assert after.ic_out_of_sample != before.ic_out_of_sample
    # ... while changing the training returns does change them (reversed returns: reversed ICs).
    reversed_train = fwd.copy()
    reversed_train[train] = -fwd[train]
    np.testing.assert_allclose(
        synthesize(x, reversed_train, method, train).weights, -before.weights, rtol=1e-12
    )


def test_slice_and_mask_agree_and_orthogonalization_runs(market):
    x, fwd, train = market
    by_mask = synthesize(x, fwd, "icir", train)
    by_slice = synthesize(x, fwd, "icir", slice(0, 80))
    np.testing.assert_array_equal(by_mask.weights, by_slice.weights)
    orthogonal = synthesize(x, fwd, "icir", train, orthogonalize="gram_schmidt")
    assert np.argmax(np.abs(orthogonal.weights)) == 1 and orthogonal.ic_in_sample > 0
    assert np.isnan(synthesize(x, fwd, "icir", slice(None)).ic_out_of_sample)


def test_regression_design_pools_the_training_cells_as_pandas_does(market):
    x, fwd, train = market
    X, y = regression_design(x, fwd, train)
    # pandas: each factor z-scored per date, the return z-scored per date, the training dates'
    # (date, name) cells where every column has a value, in (date, name) order.
    frames = [pd.DataFrame(zscore_rows(f)).stack(future_stack=True) for f in x]
    target = pd.DataFrame(zscore_rows(fwd)).stack(future_stack=True)
    table = pd.concat([*frames, target], axis=1)
    table = table[np.repeat(train, fwd.shape[1])].dropna()
    np.testing.assert_allclose(X, table.iloc[:, :-1].to_numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(y, table.iloc[:, -1].to_numpy(), rtol=1e-12, atol=1e-15)


def test_given_weights_are_normalized_and_used_as_they_are(market):
    x, fwd, train = market
    got = synthesize(x, fwd, "equal", train, weights=np.array([0.0, 3.0, -1.0, 0.0]))
    np.testing.assert_allclose(got.weights, [0.0, 0.75, -0.25, 0.0])
    np.testing.assert_allclose(got.composite, composite(x, got.weights), equal_nan=True)
    with pytest.raises(ValueError, match="every fitted weight is 0"):
        synthesize(x, fwd, "equal", train, weights=np.zeros(4))
    with pytest.raises(ValueError, match="4 finite numbers"):
        synthesize(x, fwd, "equal", train, weights=np.array([1.0, np.nan, 0.0, 0.0]))
