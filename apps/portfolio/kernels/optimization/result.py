"""What an optimization answers: `OptimizationResult` (weights, their risk and return, how the solver
got there) and the portfolio statistics every method reports the same way.

Expected return, volatility and Sharpe are in the units of the inputs (annual when the estimators
annualized): expected return mu'w, volatility sqrt(w' Sigma w), Sharpe (mu'w - rf) / volatility.
Risk contributions are w_i (Sigma w)_i / volatility; they sum to the volatility.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .solvers import SolveOutcome, SolverAttempt


@dataclass(frozen=True)
class OptimizationResult:
    method: str
    weights: np.ndarray  # (N,), NaN when no portfolio was found (see status)
    expected_return: float | None  # None when the method had no expected returns
    volatility: float
    sharpe: float | None
    risk_contributions: np.ndarray  # (N,)
    status: str  # the solver's status ("optimal", "optimal_inaccurate", ...) or "closed_form"
    solver: str | None  # the solver that produced the weights; None for closed forms (HRP)
    objective: float | None  # the solved problem's objective value, in its own units
    setup_seconds: float  # cvxpy compilation
    solve_seconds: float  # the solver
    attempts: tuple[SolverAttempt, ...] = ()  # every solver tried, in order
    mip_gap: float | None = None  # relative MIP gap, when a MIP solver reported one
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.weights).all())


def risk_contributions(weights: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """w_i (Sigma w)_i / sqrt(w' Sigma w): each asset's share of the volatility (they sum to it)."""
    marginal = cov @ weights
    vol = float(np.sqrt(max(weights @ marginal, 0.0)))
    return weights * marginal / vol if vol > 0 else np.zeros_like(weights)


def portfolio_stats(
    weights: np.ndarray, cov: np.ndarray, mu: np.ndarray | None = None, risk_free_rate: float = 0.0
) -> tuple[float | None, float, float | None, np.ndarray]:
    """(expected return, volatility, Sharpe, risk contributions) of one portfolio."""
    vol = float(np.sqrt(max(weights @ cov @ weights, 0.0)))
    ret = None if mu is None else float(mu @ weights)
    sharpe = None if ret is None or vol == 0 else (ret - risk_free_rate) / vol
    return ret, vol, sharpe, risk_contributions(weights, cov)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


def make_result(
    method: str,
    weights: np.ndarray | None,
    cov: np.ndarray,
    *,
    mu: np.ndarray | None = None,
    risk_free_rate: float = 0.0,
    outcome: SolveOutcome | None = None,
    notes: tuple[str, ...] = (),
) -> OptimizationResult:
    """The result of `weights` (None: no portfolio, NaN weights) and the solve that produced them
    (None: a closed form)."""
    n = cov.shape[0]
    if weights is None:
        nan = np.full(n, np.nan)
        ret, vol, sharpe, rc = (None if mu is None else np.nan), np.nan, None, nan
        weights = nan
    else:
        ret, vol, sharpe, rc = portfolio_stats(np.asarray(weights, dtype=float), cov, mu, risk_free_rate)
    return OptimizationResult(
        method=method,
        weights=_frozen(weights),
        expected_return=ret,
        volatility=vol,
        sharpe=sharpe,
        risk_contributions=_frozen(rc),
        status=outcome.status if outcome else "closed_form",
        solver=outcome.solver if outcome else None,
        objective=outcome.objective if outcome else None,
        setup_seconds=outcome.setup_seconds if outcome else 0.0,
        solve_seconds=outcome.solve_seconds if outcome else 0.0,
        attempts=outcome.attempts if outcome else (),
        mip_gap=outcome.mip_gap if outcome else None,
        notes=tuple(notes),
    )
