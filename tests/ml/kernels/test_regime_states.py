"""Regime fits made stable: the HMM fitted on standardized inputs filters (through its bundle, which
standardizes raw observations) exactly as hmmlearn's model filters the standardized data, permuted
calmest first; its log-likelihood is hmmlearn's score of the raw data under the Gaussians mapped to
raw units; the Markov-switching model's ordered regimes filter as statsmodels does, permuted."""

from __future__ import annotations

import numpy as np
import pytest
from hmmlearn.hmm import GaussianHMM
from statsmodels.tsa.regime_switching.markov_regression import MarkovRegression

from apps.ml.kernels.bundles import RegimeBundle
from apps.ml.kernels.regime_states import (
    expected_durations,
    hmm_fit_standardized,
    ms_fit_ordered,
    standardize,
    state_names,
)
from apps.ml.kernels.regimes import hmm_filter, hmm_fit, ms_filter


def regime_returns(seed: int, n: int = 600) -> np.ndarray:
    """Daily decimal returns switching between calm (sd 0.6 %) and stressed (sd 2 %) spells."""
    rng = np.random.default_rng(seed)
    spells = np.repeat(rng.integers(0, 2, n // 50), 50)
    return np.where(
        spells == 0, 0.0005 + 0.006 * rng.standard_normal(n), -0.002 + 0.02 * rng.standard_normal(n)
    )


def features(seed: int) -> np.ndarray:
    r = regime_returns(seed)
    price_level = 100 + np.cumsum(r) * 100  # a column of a very different scale
    return np.column_stack([r, np.abs(r), price_level])


def bundle_of(fit, n_inputs: int) -> RegimeBundle:
    return RegimeBundle(
        method="hmm",
        params=fit.params,
        inputs=tuple(f"x{i}" for i in range(n_inputs)),
        state_names=state_names(fit.params.means.shape[0]),
        interval="1d",
        center=fit.center,
        scale=fit.scale,
    )


def test_standardized_hmm_filters_raw_observations_as_hmmlearn_filters_standardized_ones():
    X = features(0)
    lengths = [350, 250]
    fit = hmm_fit_standardized(X, 2, seed=2, lengths=lengths)
    z = (X - X.mean(axis=0)) / X.std(axis=0)
    model, fitted = hmm_fit(z, 2, seed=2, lengths=lengths)
    order = np.argsort(np.trace(fitted.covars, axis1=1, axis2=2))
    bundle = bundle_of(fit, 3)
    for lo, hi in ((0, 350), (350, 600)):
        ours = bundle.filter(X[lo:hi])
        # hmmlearn's posterior at a sequence's last bar is the filtered one (nothing after it).
        np.testing.assert_allclose(ours[-1], model.predict_proba(z[lo:hi])[-1][order], atol=1e-9)
        np.testing.assert_allclose(ours, hmm_filter(fitted, z[lo:hi])[:, order], atol=1e-9)
    # Bar by bar from the start probabilities: the same as filtering the sequence.
    p = None
    for x in X[:40]:
        p = bundle.advance(p, x)
    np.testing.assert_allclose(p, bundle.filter(X[:40])[-1], atol=1e-12)


def test_raw_loglikelihood_is_hmmlearns_score_of_the_raw_data_under_the_mapped_model():
    X = features(1)
    fit = hmm_fit_standardized(X, 2, seed=0, lengths=[300, 300])
    m, s = X.mean(axis=0), X.std(axis=0)
    raw = GaussianHMM(n_components=2, covariance_type="full")
    raw.startprob_, raw.transmat_ = fit.params.startprob, fit.params.transmat
    raw.means_ = m + fit.params.means * s  # x = m + s z
    raw.covars_ = fit.params.covars * np.outer(s, s)
    assert fit.loglikelihood == pytest.approx(raw.score(X, lengths=[300, 300]), rel=1e-9)
    assert fit.aic == pytest.approx(-2 * fit.loglikelihood + 2 * fit.n_params)
    assert fit.bic == pytest.approx(-2 * fit.loglikelihood + fit.n_params * np.log(600))


def test_states_are_calmest_first_and_consistently_permuted():
    X = regime_returns(2)[:, None]
    fit = hmm_fit_standardized(X, 2, seed=5)
    assert fit.params.covars[0, 0, 0] < fit.params.covars[1, 0, 0]
    np.testing.assert_allclose(fit.params.transmat.sum(axis=1), 1.0)
    # The calm state is the one the calm spells spend their time in.
    probs = bundle_of(fit, 1).filter(X)
    calm_spells = np.abs(X[:, 0]) < 0.004
    assert probs[calm_spells, 0].mean() > probs[calm_spells, 1].mean()


def test_markov_ordered_filters_as_statsmodels_permuted():
    y = regime_returns(3)
    fit = ms_fit_ordered(y, 2)
    model = MarkovRegression(y, k_regimes=2, trend="c", switching_variance=True)
    res = model.fit(disp=False)
    assert fit.loglikelihood == pytest.approx(res.llf, rel=1e-9)
    variances = np.array([res.params[model.param_names.index(f"sigma2[{i}]")] for i in range(2)])
    order = np.argsort(variances)
    np.testing.assert_allclose(fit.params.variances, variances[order])
    np.testing.assert_allclose(
        ms_filter(fit.params, y), res.filtered_marginal_probabilities[:, order], atol=1e-8
    )


def test_names_and_durations():
    assert state_names(2) == ("calm", "turbulent")
    assert state_names(3) == ("calm", "normal", "turbulent")
    assert state_names(4) == ("regime_0", "regime_1", "regime_2", "regime_3")
    np.testing.assert_allclose(expected_durations([[0.9, 0.1], [0.5, 0.5]]), [10.0, 2.0])
    with pytest.raises(ValueError, match="constant"):
        standardize(np.ones((5, 1)))
