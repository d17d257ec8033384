"""Tracking-error-constrained active optimization: the most expected active return against a
benchmark for a tracking-error budget.

Maximize mu'(w - w_b) - costs subject to ||G (w - w_b)||_2 <= TE (G'G = Sigma, so the left side is
the tracking error sqrt((w - w_b)' Sigma (w - w_b))) and the constraints. TE is in the units of
Sigma's volatility (annual when annualized). The result's expected return and risk are absolute;
the notes give the active return and the tracking error reached.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cvxpy as cp
import numpy as np

from ..infeasibility import Infeasible
from ..problem import Block, Constraints
from ..result import OptimizationResult
from ..solvers import CONTINUOUS_CHAIN, MIP_TIME_LIMIT, SolverSpec
from .pipeline import Spec, risk_factor, run

DEFAULT = Constraints()


def max_active_return(
    mu: np.ndarray,
    cov: np.ndarray,
    benchmark: np.ndarray,
    tracking_error: float,
    constraints: Constraints = DEFAULT,
    *,
    risk_free_rate: float = 0.0,
    solvers: Sequence[SolverSpec] = CONTINUOUS_CHAIN,
    mip_time_limit: float = MIP_TIME_LIMIT,
) -> OptimizationResult | Infeasible:
    """The portfolio with the most expected active return whose tracking error is <= the target."""
    mu, cov, wb = (np.asarray(x, dtype=float) for x in (mu, cov, benchmark))
    g = risk_factor(cov)

    def extras(f):
        te = cp.reshape(cp.norm(g @ (f.w - wb), 2), (1,), order="C")
        return [Block((f"tracking error <= {tracking_error:g}",), te, "<=", np.array([tracking_error]))], ()

    spec = Spec("max_active_return", lambda f: cp.Maximize(mu @ (f.w - wb) - f.cost), extras)
    result = run(
        spec,
        constraints,
        cov,
        mu=mu,
        risk_free_rate=risk_free_rate,
        solvers=solvers,
        mip_time_limit=mip_time_limit,
    )
    if isinstance(result, OptimizationResult) and result.ok:
        active = result.weights - wb
        te = float(np.sqrt(max(active @ cov @ active, 0.0)))
        note = f"active return {float(mu @ active):.6g}, tracking error {te:.6g} vs the benchmark"
        result = dataclasses.replace(result, notes=(*result.notes, note))
    return result
