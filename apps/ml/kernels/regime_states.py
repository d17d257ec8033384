"""Making a fitted regime model's states stable and its parameters usable on raw observations.

Standardized fitting. A Gaussian HMM is fitted on z = (x - m) / s (each column by its training mean
and standard deviation): hmmlearn's covariance floor (`min_covar`) and prior are absolute numbers,
large next to the variance of daily returns (~1e-4) and small next to a price level, so fitting on
raw features lets the units decide the states. The parameters stay in standardized units, with m
and s beside them (a RegimeBundle's `center` and `scale`): x = m + s·z maps each state's Gaussian
to raw units exactly (mean m + s·mu, covariance diag(s) Σ diag(s), the same Jacobian for every
state, so the filter's probabilities do not change), but with columns of very different scales the
raw covariances are too ill-conditioned for scipy's multivariate normal, which refuses them.

State order. The libraries number states arbitrarily (a refit may swap them). States are put in
order of volatility, calmest first: a Markov-switching model by its regime variances; an HMM by
the trace of its standardized covariance (total variance in units of each feature's spread, so no
feature dominates by its units; with one input it is that input's variance). `*_reorder` permute
every parameter consistently (start, transitions' rows and columns, means, covariances).

`hmm_fit_standardized` and `ms_fit_ordered` fit (kernels/regimes.py), order and report a model in
one call: its parameters, log-likelihood (of the raw data), AIC, BIC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .regimes import HmmParams, MsParams, hmm_fit, ms_fit

NAMES = {2: ("calm", "turbulent"), 3: ("calm", "normal", "turbulent")}


def state_names(k: int) -> tuple[str, ...]:
    """Names of k states ordered calmest first: calm/turbulent, calm/normal/turbulent, else regime_i."""
    return NAMES.get(k, tuple(f"regime_{i}" for i in range(k)))


def standardize(X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, mean, std) per column; ValueError for a constant column (it has no spread to scale by)."""
    X = np.asarray(X, dtype=float)
    mean, std = X.mean(axis=0), X.std(axis=0)
    if not (std > 0).all():
        raise ValueError(f"constant input column(s): {np.flatnonzero(~(std > 0)).tolist()}")
    return (X - mean) / std, mean, std


def hmm_calm_order(params: HmmParams) -> np.ndarray:
    """State indices calmest first, by the trace of each (standardized) covariance."""
    return np.argsort(np.trace(params.covars, axis1=1, axis2=2), kind="stable")


def ms_calm_order(params: MsParams) -> np.ndarray:
    return np.argsort(params.variances, kind="stable")


def hmm_reorder(params: HmmParams, order) -> HmmParams:
    o = np.asarray(order)
    return HmmParams(
        startprob=params.startprob[o],
        transmat=params.transmat[np.ix_(o, o)],
        means=params.means[o],
        covars=params.covars[o],
    )


def ms_reorder(params: MsParams, order) -> MsParams:
    o = np.asarray(order)
    return MsParams(
        initial=params.initial[o],
        transmat=params.transmat[np.ix_(o, o)],
        means=params.means[o],
        variances=params.variances[o],
    )


def expected_durations(transmat) -> np.ndarray:
    """Expected bars spent in each state once entered: 1 / (1 - P[k, k]) (inf for an absorbing one)."""
    stay = np.diag(np.asarray(transmat, dtype=float))
    with np.errstate(divide="ignore"):
        return 1.0 / (1.0 - stay)


@dataclass(frozen=True)
class RegimeFit:
    params: HmmParams | MsParams  # states calmest first; an HMM's in standardized units
    loglikelihood: float  # of the raw observations
    aic: float
    bic: float
    n_params: int
    n_obs: int
    converged: bool
    center: np.ndarray | None = None  # HMM: z = (x - center) / scale
    scale: np.ndarray | None = None


def hmm_fit_standardized(
    X, n_states: int, *, seed: int, covariance_type: str = "full", n_iter: int = 100, lengths=None
) -> RegimeFit:
    """A Gaussian HMM fitted on the standardized columns of X (T, d), its states calmest first, with
    the center and scale that standardize raw inputs. The log-likelihood is that of the raw X: the
    standardized one less T·sum(log s), the change of variables' Jacobian; AIC and BIC move with it."""
    X = np.asarray(X, dtype=float)
    z, mean, std = standardize(X)
    model, fitted = hmm_fit(
        z, n_states, seed=seed, covariance_type=covariance_type, n_iter=n_iter, lengths=lengths
    )
    ordered = hmm_reorder(fitted, hmm_calm_order(fitted))
    n_params = int(sum(model._get_n_fit_scalars_per_param().values()))
    loglik = float(model.score(z, lengths=lengths)) - X.shape[0] * float(np.log(std).sum())
    return RegimeFit(
        params=ordered,
        loglikelihood=loglik,
        aic=-2 * loglik + 2 * n_params,
        bic=-2 * loglik + n_params * float(np.log(X.shape[0])),
        n_params=n_params,
        n_obs=int(X.shape[0]),
        converged=bool(model.monitor_.converged),
        center=mean,
        scale=std,
    )


def ms_fit_ordered(y, n_regimes: int, *, switching_variance: bool = True) -> RegimeFit:
    """statsmodels' Markov-switching regression on y with its regimes calmest first."""
    res, fitted = ms_fit(y, n_regimes, switching_variance=switching_variance)
    return RegimeFit(
        params=ms_reorder(fitted, ms_calm_order(fitted)),
        loglikelihood=float(res.llf),
        aic=float(res.aic),
        bic=float(res.bic),
        n_params=int(len(res.params)),
        n_obs=int(res.nobs),
        converged=bool(res.mle_retvals.get("converged", True)) if res.mle_retvals else True,
    )
