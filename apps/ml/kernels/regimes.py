"""Regime models: a Gaussian HMM (hmmlearn) and a Markov-switching regression (statsmodels), with
forward-filtered regime probabilities and a per-bar filter update from stored parameters.

Filtering, not smoothing: the probability of state k at t is P(s_t = k | x_1..x_t), data up to t
only, so a regime read at a bar never uses later bars. The forward recursion (Hamilton filter) is

    predicted_1 = pi,                 predicted_t = filtered_{t-1} @ A       (A[i, j] = P(s_t=j | s_{t-1}=i))
    filtered_t  ∝ predicted_t * b(x_t),                                      b_k = density of x_t in state k

normalised to sum to 1, computed in logs (b can underflow). At the last observation of a sequence
the smoothed probability (hmmlearn's `predict_proba`) equals the filtered one, which is how the
tests check it. The recursion runs over time (each step needs the previous); it is vectorised over
states and over instruments: X may be (T, d) or (N, T, d) for N sequences of the same model.

HMM: `hmm_fit` fits `hmmlearn.hmm.GaussianHMM(n_states, covariance_type, random_state=seed)` on a
feature matrix (several sequences through `lengths`); `HmmParams` holds what the filter needs:
startprob, transmat, means (K, d) and full covariances (K, d, d) whatever the covariance type.

Markov switching: `ms_fit` fits `statsmodels`' `MarkovRegression(y, k_regimes, trend="c",
switching_variance=)`: y_t = mu_k + e_t, e_t ~ N(0, sigma²_k) in regime k. `MsParams` stores the
transition matrix in the row convention above (statsmodels' `regime_transition_matrix` is its
transpose, P[i, j] = P(s_t=i | s_{t-1}=j)) and statsmodels' initial (ergodic) probabilities.

State numbers are the libraries' (arbitrary: a refit may swap them); name regimes from their
parameters (e.g. by variance) where that matters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hmmlearn.hmm import GaussianHMM
from scipy import stats
from statsmodels.tsa.regime_switching.markov_regression import MarkovRegression


@dataclass(frozen=True)
class HmmParams:
    startprob: np.ndarray  # (K,)
    transmat: np.ndarray  # (K, K), rows sum to 1
    means: np.ndarray  # (K, d)
    covars: np.ndarray  # (K, d, d)


@dataclass(frozen=True)
class MsParams:
    initial: np.ndarray  # (K,)
    transmat: np.ndarray  # (K, K), rows sum to 1: [i, j] = P(s_t = j | s_{t-1} = i)
    means: np.ndarray  # (K,)
    variances: np.ndarray  # (K,)


# --- Gaussian HMM ---------------------------------------------------------------------------------


def hmm_fit(
    X,
    n_states: int,
    *,
    seed: int,
    covariance_type: str = "full",
    n_iter: int = 100,
    lengths=None,
) -> tuple[GaussianHMM, HmmParams]:
    """Fit a Gaussian HMM on features X (T, d) (`lengths`: sizes of consecutive sequences in X)."""
    X = _features(X)
    model = GaussianHMM(
        n_components=n_states, covariance_type=covariance_type, n_iter=n_iter, random_state=seed
    )
    model.fit(X, lengths=lengths)
    return model, hmm_params(model)


def hmm_params(model: GaussianHMM) -> HmmParams:
    return HmmParams(
        startprob=np.array(model.startprob_, dtype=float),
        transmat=np.array(model.transmat_, dtype=float),
        means=np.array(model.means_, dtype=float),
        covars=np.array(model.covars_, dtype=float),  # hmmlearn expands every covariance type to full
    )


def hmm_log_emissions(params: HmmParams, X) -> np.ndarray:
    """log density of each observation (..., d) in each state -> (..., K)."""
    X = np.asarray(X, dtype=float)
    return np.stack(
        [
            stats.multivariate_normal(params.means[k], params.covars[k]).logpdf(X).reshape(X.shape[:-1])
            for k in range(params.means.shape[0])
        ],
        axis=-1,
    )


def hmm_filter(params: HmmParams, X) -> np.ndarray:
    """Filtered state probabilities at every observation of X (T, d) or (N, T, d) -> (..., T, K)."""
    X = np.asarray(X, dtype=float)
    return _forward(params.startprob, params.transmat, hmm_log_emissions(params, X))


def hmm_filter_update(params: HmmParams, prior, x) -> np.ndarray:
    """One filter step: the filtered probabilities at t-1 (`prior`, (K,) or (N, K); None at the first
    observation) and the new observation x ((d,) or (N, d)) give those at t."""
    predicted = params.startprob if prior is None else np.asarray(prior, dtype=float) @ params.transmat
    return _posterior(predicted, hmm_log_emissions(params, x))


def hmm_filter_from(params: HmmParams, prior, X) -> np.ndarray:
    """Filtered probabilities at each of the new observations X (T, d) that follow the filtered
    probabilities `prior` (K,) (None: X starts the sequence) -> (T, K): the filter continued, no refit.
    An observation with a missing (non-finite) value adds no evidence: its state probabilities are
    the predicted ones."""
    X = np.asarray(X, dtype=float).reshape(-1, params.means.shape[1])
    if not len(X):
        return np.empty((0, params.means.shape[0]))
    return _continue(params.startprob, params.transmat, prior, hmm_log_emissions(params, X), X)


# --- Markov switching -----------------------------------------------------------------------------


def ms_fit(y, n_regimes: int, *, switching_variance: bool = True):
    """Fit statsmodels' switching-mean (and variance) regression on a series; (results, MsParams)."""
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or not np.isfinite(y).all():
        raise ValueError("y must be a finite 1-D series")
    model = MarkovRegression(y, k_regimes=n_regimes, trend="c", switching_variance=switching_variance)
    res = model.fit(disp=False)
    return res, ms_params(model, res.params)


def ms_params(model: MarkovRegression, params) -> MsParams:
    names, values = model.param_names, np.asarray(params, dtype=float)
    k = model.k_regimes
    means = np.array([values[names.index(f"const[{i}]")] for i in range(k)])
    if model.switching_variance:
        variances = np.array([values[names.index(f"sigma2[{i}]")] for i in range(k)])
    else:
        variances = np.full(k, values[names.index("sigma2")])
    return MsParams(
        initial=np.asarray(model.initial_probabilities(values), dtype=float),
        transmat=model.regime_transition_matrix(values)[:, :, 0].T.copy(),
        means=means,
        variances=variances,
    )


def ms_log_emissions(params: MsParams, y) -> np.ndarray:
    y = np.asarray(y, dtype=float)[..., None]
    return stats.norm.logpdf(y, loc=params.means, scale=np.sqrt(params.variances))


def ms_filter(params: MsParams, y) -> np.ndarray:
    """Filtered regime probabilities of y (T,) or (N, T) -> (..., T, K), as statsmodels'
    `filtered_marginal_probabilities`."""
    return _forward(params.initial, params.transmat, ms_log_emissions(params, y))


def ms_filter_update(params: MsParams, prior, y) -> np.ndarray:
    """One filter step for a new value y (scalar or (N,)) from the filtered probabilities at t-1."""
    predicted = params.initial if prior is None else np.asarray(prior, dtype=float) @ params.transmat
    return _posterior(predicted, ms_log_emissions(params, y))


def ms_filter_from(params: MsParams, prior, y) -> np.ndarray:
    """As `hmm_filter_from` for new values y (T,) of a Markov-switching model -> (T, K)."""
    y = np.asarray(y, dtype=float).reshape(-1)
    if not len(y):
        return np.empty((0, params.means.shape[0]))
    return _continue(params.initial, params.transmat, prior, ms_log_emissions(params, y), y[:, None])


# --- the forward recursion ------------------------------------------------------------------------


def _forward(start: np.ndarray, transmat: np.ndarray, log_b: np.ndarray) -> np.ndarray:
    """Filtered probabilities from log emissions (..., T, K). The loop is over time only: step t
    needs step t-1, so it cannot be vectorised away; each step is one (N, K) @ (K, K) product."""
    out = np.empty_like(log_b)
    predicted = np.broadcast_to(start, log_b[..., 0, :].shape)
    for t in range(log_b.shape[-2]):
        out[..., t, :] = _posterior(predicted, log_b[..., t, :])
        predicted = out[..., t, :] @ transmat
    return out


def _continue(start, transmat, prior, log_b: np.ndarray, observations: np.ndarray) -> np.ndarray:
    """The forward recursion over new observations from `prior` (the filtered probabilities before
    them; None: from the start probabilities). Missing observations get a flat emission (log b = 0),
    so filtering them leaves the prediction as it is."""
    missing = ~np.isfinite(observations).all(axis=-1)
    log_b = np.where(missing[:, None], 0.0, log_b)
    predicted = start if prior is None else np.asarray(prior, dtype=float) @ transmat
    return _forward(predicted, transmat, log_b)


def _posterior(predicted, log_b) -> np.ndarray:
    with np.errstate(divide="ignore"):  # a state with predicted probability 0 stays at 0
        log_p = np.log(predicted) + log_b
    log_p = log_p - log_p.max(axis=-1, keepdims=True)
    p = np.exp(log_p)
    return p / p.sum(axis=-1, keepdims=True)


def _features(X) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or not np.isfinite(X).all():
        raise ValueError("features must be a finite (T, d) matrix")
    return X
