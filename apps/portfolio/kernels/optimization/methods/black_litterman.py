"""Black-Litterman: a market-implied prior, views with confidences, the posterior, then weights.

Prior: pi = delta * Sigma * w_mkt + rf (excess returns implied by market weights w_mkt and risk
aversion delta, plus the risk-free rate; PyPortfolioOpt's market_implied_prior_returns).
Views: P (K, N) picks portfolios, Q (K,) their expected returns (same units as Sigma). Their
uncertainty Omega (K, K) is, by default, He and Litterman's diag(tau P Sigma P'); with confidences
c_k in (0, 1] it is Idzorek's, in Walters' closed form omega_k = tau (1 - c_k) / c_k * p_k Sigma p_k'
(c_k = 1: the view holds exactly; a view with c_k = 0 carries no information and is left out); or
give Omega itself.
Posterior (He and Litterman 2002), with A = tau P Sigma P' + Omega:
  returns  pi + tau Sigma P' A^-1 (Q - P pi)
  cov      Sigma + tau Sigma - tau Sigma P' A^-1 P tau Sigma
Weights: maximum Sharpe, or maximum quadratic utility with delta, on the posterior returns and
covariance, under the given Constraints.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import linalg

from ..infeasibility import Infeasible
from ..problem import Constraints
from ..result import OptimizationResult
from ..solvers import CONTINUOUS_CHAIN, MIP_TIME_LIMIT, SolverSpec
from .mean_variance import max_sharpe, max_utility

DEFAULT = Constraints()


@dataclass(frozen=True)
class Posterior:
    prior: np.ndarray  # (N,) pi
    returns: np.ndarray  # (N,) posterior expected returns
    cov: np.ndarray  # (N, N) posterior covariance
    omega: np.ndarray  # (K, K) view uncertainty of the views used
    tau: float
    views_used: np.ndarray  # (K,) positions of the views kept (confidence > 0)


def market_implied_returns(
    cov: np.ndarray, market_weights: np.ndarray, risk_aversion: float, risk_free_rate: float = 0.0
) -> np.ndarray:
    """pi = delta Sigma w_mkt + rf, w_mkt normalized to sum 1 (capitalizations may be given)."""
    w = np.asarray(market_weights, dtype=float)
    return risk_aversion * np.asarray(cov, dtype=float) @ (w / w.sum()) + risk_free_rate


def implied_risk_aversion(
    market_returns: np.ndarray, *, frequency: float = 252, risk_free_rate: float = 0.0
) -> float:
    """delta = (E[R_m] - rf) / var(R_m), annualized arithmetic mean and variance (ddof=1)."""
    r = np.asarray(market_returns, dtype=float)
    r = r[np.isfinite(r)]
    return float((r.mean() * frequency - risk_free_rate) / (r.var(ddof=1) * frequency))


def view_uncertainty(
    cov: np.ndarray, picks: np.ndarray, tau: float, confidences: np.ndarray | None = None
) -> np.ndarray:
    """Omega: He-Litterman diag(tau P Sigma P'), or Idzorek's for confidences in (0, 1]."""
    view_var = np.einsum("kn,nm,km->k", picks, cov, picks)
    if confidences is None:
        return np.diag(tau * view_var)
    c = np.asarray(confidences, dtype=float)
    if ((c <= 0) | (c > 1)).any():
        raise ValueError("view confidences must be in (0, 1] (leave out a view with none)")
    return np.diag(tau * (1.0 - c) / c * view_var)


def posterior(
    cov: np.ndarray,
    prior: np.ndarray,
    picks: np.ndarray,
    views: np.ndarray,
    *,
    tau: float = 0.05,
    confidences: np.ndarray | None = None,
    omega: np.ndarray | None = None,
) -> Posterior:
    """The Black-Litterman posterior (module docstring)."""
    if not 0 < tau <= 1:
        raise ValueError("tau must be in (0, 1]")
    cov, pi = np.asarray(cov, dtype=float), np.asarray(prior, dtype=float)
    p = np.atleast_2d(np.asarray(picks, dtype=float))
    q = np.asarray(views, dtype=float).ravel()
    keep = np.arange(q.size)
    if confidences is not None and omega is None:
        c = np.asarray(confidences, dtype=float).ravel()
        keep = np.flatnonzero(c > 0)
        p, q, confidences = p[keep], q[keep], c[keep]
    if omega is None:
        omega = view_uncertainty(cov, p, tau, confidences)
    omega = np.asarray(omega, dtype=float)
    if not q.size:
        return Posterior(pi, pi.copy(), cov + tau * cov, omega, tau, keep)
    tau_sigma_p = tau * cov @ p.T
    a = p @ tau_sigma_p + omega
    returns = pi + tau_sigma_p @ linalg.solve(a, q - p @ pi, assume_a="sym")
    cov_post = cov + tau * cov - tau_sigma_p @ linalg.solve(a, tau_sigma_p.T, assume_a="sym")
    return Posterior(pi, returns, (cov_post + cov_post.T) / 2.0, omega, tau, keep)


def black_litterman(
    cov: np.ndarray,
    market_weights: np.ndarray,
    picks: np.ndarray,
    views: np.ndarray,
    constraints: Constraints = DEFAULT,
    *,
    risk_aversion: float = 2.5,
    tau: float = 0.05,
    confidences: np.ndarray | None = None,
    omega: np.ndarray | None = None,
    risk_free_rate: float = 0.0,
    objective: Literal["max_sharpe", "max_utility"] = "max_sharpe",
    solvers: Sequence[SolverSpec] = CONTINUOUS_CHAIN,
    mip_time_limit: float = MIP_TIME_LIMIT,
) -> OptimizationResult | Infeasible:
    """Weights from the posterior of the market prior and the views; the result's expected return,
    Sharpe and risk are under the posterior."""
    prior = market_implied_returns(cov, market_weights, risk_aversion, risk_free_rate)
    post = posterior(cov, prior, picks, views, tau=tau, confidences=confidences, omega=omega)
    kwargs = dict(risk_free_rate=risk_free_rate, solvers=solvers, mip_time_limit=mip_time_limit)
    if objective == "max_sharpe":
        result = max_sharpe(post.returns, post.cov, constraints, **kwargs)
    elif objective == "max_utility":
        result = max_utility(post.returns, post.cov, risk_aversion, constraints, **kwargs)
    else:
        raise ValueError("objective must be max_sharpe or max_utility")
    if omega is not None:
        how = "given omega"
    else:
        how = "He-Litterman omega" if confidences is None else "Idzorek confidences"
    note = f"Black-Litterman: {post.views_used.size} views, tau {tau:g}, {how}, then {objective}"
    # both answers are frozen dataclasses with a method and notes
    return dataclasses.replace(result, method="black_litterman", notes=(note, *result.notes))
