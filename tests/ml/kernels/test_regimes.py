"""Regime filtering against the libraries: the HMM forward filter equals hmmlearn's posterior at the
last observation of every prefix (where smoothing and filtering agree), and the Markov-switching
filter equals statsmodels' filtered marginal probabilities; the per-bar updates chain to the same, and
so does the filter continued from a prefix's last probabilities (what a prediction does)."""

from __future__ import annotations

import numpy as np
import pytest

from apps.ml.kernels.regimes import (
    HmmParams,
    hmm_filter,
    hmm_filter_from,
    hmm_filter_update,
    hmm_fit,
    ms_filter,
    ms_filter_from,
    ms_filter_update,
    ms_fit,
)


def regime_path(rng, n: int, stay: float = 0.95) -> np.ndarray:
    s = np.zeros(n, dtype=int)
    flips = rng.random(n) > stay
    for t in range(1, n):  # a Markov chain is sequential by nature; test data only
        s[t] = 1 - s[t - 1] if flips[t] else s[t - 1]
    return s


def two_regime_features(seed: int, n: int = 250) -> np.ndarray:
    """(n, 2): return and absolute return, calm (mean 0.05 %, sd 0.6 %) or stressed (-0.2 %, 2 %)."""
    rng = np.random.default_rng(seed)
    s = regime_path(rng, n)
    r = np.where(s == 0, 0.05 + 0.6 * rng.standard_normal(n), -0.2 + 2.0 * rng.standard_normal(n))
    return np.column_stack([r, np.abs(r) + 0.1 * rng.standard_normal(n)])


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_hmm_filter_equals_hmmlearn_at_the_end_of_every_prefix(covariance_type):
    X = two_regime_features(0)
    model, params = hmm_fit(X, 2, seed=3, covariance_type=covariance_type)
    filtered = hmm_filter(params, X)
    reference = np.array([model.predict_proba(X[: t + 1])[-1] for t in range(len(X))])
    np.testing.assert_allclose(filtered, reference, atol=1e-10)
    # filtering is not smoothing: somewhere inside the sample the two differ.
    assert np.abs(filtered - model.predict_proba(X)).max() > 1e-3


def test_hmm_update_chains_to_the_filter_and_is_vectorised_over_instruments():
    X = two_regime_features(1)
    _, params = hmm_fit(X, 2, seed=0)
    panel = np.stack([X, two_regime_features(2), two_regime_features(3)])  # (N=3, T, d)
    filtered = hmm_filter(params, panel)
    for i in range(3):
        np.testing.assert_allclose(filtered[i], hmm_filter(params, panel[i]), atol=1e-13)
    probs = None
    for t in range(panel.shape[1]):
        probs = hmm_filter_update(params, probs, panel[:, t, :])
        np.testing.assert_allclose(probs, filtered[:, t, :], atol=1e-13)
    single = hmm_filter_update(params, filtered[0, -2], panel[0, -1])
    np.testing.assert_allclose(single, filtered[0, -1], atol=1e-13)


def test_hmm_fit_is_seeded():
    X = two_regime_features(4)
    _, a = hmm_fit(X, 3, seed=7, n_iter=20)
    _, b = hmm_fit(X, 3, seed=7, n_iter=20)
    for name in ("startprob", "transmat", "means", "covars"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_hmm_filter_update_by_hand():
    # Two 1-d states N(0, 1) and N(3, 1), A = [[0.9, 0.1], [0.2, 0.8]], prior (0.5, 0.5), x = 1:
    # predicted = (0.5*0.9 + 0.5*0.2, 0.5*0.1 + 0.5*0.8) = (0.55, 0.45); densities ∝ exp(-1/2), exp(-4/2)
    # posterior ∝ (0.55 e^-0.5, 0.45 e^-2).
    params = HmmParams(
        startprob=np.array([0.5, 0.5]),
        transmat=np.array([[0.9, 0.1], [0.2, 0.8]]),
        means=np.array([[0.0], [3.0]]),
        covars=np.array([[[1.0]], [[1.0]]]),
    )
    w = np.array([0.55 * np.exp(-0.5), 0.45 * np.exp(-2.0)])
    np.testing.assert_allclose(hmm_filter_update(params, [0.5, 0.5], [1.0]), w / w.sum(), rtol=1e-13)


def switching_series(seed: int, n: int = 400) -> np.ndarray:
    rng = np.random.default_rng(seed)
    s = regime_path(rng, n)
    return np.where(s == 0, rng.normal(0.5, 1.0, n), rng.normal(-1.0, 3.0, n))


@pytest.mark.parametrize("switching_variance", [True, False])
def test_markov_switching_filter_equals_statsmodels(switching_variance):
    y = switching_series(0)
    res, params = ms_fit(y, 2, switching_variance=switching_variance)
    np.testing.assert_allclose(ms_filter(params, y), res.filtered_marginal_probabilities, atol=1e-10)
    np.testing.assert_allclose(params.transmat.sum(axis=1), 1.0)
    if not switching_variance:
        assert params.variances[0] == params.variances[1]


def test_markov_switching_update_chains_and_is_vectorised():
    y = switching_series(1)
    _, params = ms_fit(y, 2)
    panel = np.stack([y, switching_series(2), switching_series(3)])
    filtered = ms_filter(params, panel)
    np.testing.assert_allclose(filtered[0], ms_filter(params, y), atol=1e-13)
    probs = None
    for t in range(panel.shape[1]):
        probs = ms_filter_update(params, probs, panel[:, t])
        np.testing.assert_allclose(probs, filtered[:, t], atol=1e-13)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="finite"):
        hmm_fit(np.array([[0.0, np.nan]] * 20), 2, seed=0)
    with pytest.raises(ValueError, match="finite"):
        ms_fit(np.array([0.0, np.inf, 1.0]), 2)


def test_filter_continued_from_a_prefix_equals_the_whole_sequence_filtered():
    """Filtering the first 180 observations, then continuing from their last probabilities over the
    rest, gives the filter over the whole sequence at every later observation (and hmmlearn's at the
    end)."""
    X = two_regime_features(4)
    model, params = hmm_fit(X, 2, seed=3)
    head = hmm_filter(params, X[:180])[-1]
    np.testing.assert_allclose(
        hmm_filter_from(params, head, X[180:]), hmm_filter(params, X)[180:], atol=1e-12
    )
    np.testing.assert_allclose(
        hmm_filter_from(params, head, X[180:])[-1], model.predict_proba(X)[-1], atol=1e-8
    )
    np.testing.assert_allclose(hmm_filter_from(params, None, X), hmm_filter(params, X), atol=1e-12)
    assert hmm_filter_from(params, head, X[:0]).shape == (0, 2)

    y = switching_series(5)
    res, ms = ms_fit(y, 2)
    head = ms_filter(ms, y[:300])[-1]
    np.testing.assert_allclose(
        ms_filter_from(ms, head, y[300:]), res.filtered_marginal_probabilities[300:], atol=1e-10
    )


def test_a_missing_observation_adds_no_evidence():
    X = two_regime_features(6)
    _, params = hmm_fit(X, 2, seed=3)
    prior = hmm_filter(params, X[:100])[-1]
    gap = X[100:103].copy()
    gap[1, 0] = np.nan
    got = hmm_filter_from(params, prior, gap)
    after_first = got[0]
    np.testing.assert_allclose(got[1], after_first @ params.transmat, atol=1e-15)  # only predicted
    np.testing.assert_allclose(got[2], hmm_filter_update(params, got[1], gap[2]), atol=1e-15)

    y = switching_series(7)
    _, ms = ms_fit(y, 2)
    got = ms_filter_from(ms, None, np.array([np.nan, y[0]]))
    np.testing.assert_allclose(got[0], ms.initial, atol=1e-15)
    np.testing.assert_allclose(got[1], ms_filter_update(ms, ms.initial, y[0]), atol=1e-15)
