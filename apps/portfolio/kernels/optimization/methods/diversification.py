"""Maximum diversification (Choueifaty and Coignard 2008): maximize the diversification ratio
DR(w) = sigma'w / sqrt(w' Sigma w), sigma the assets' volatilities.

DR is scale-invariant, so it is solved like maximum Sharpe (homogeneous, problem.py): minimize
y' Sigma y subject to sigma'y >= 1 and the constraints homogenized in y = kappa w, w = y / kappa.
No transaction costs (the objective has no return term). The ratio is reported in the notes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cvxpy as cp
import numpy as np

from ..infeasibility import Infeasible
from ..problem import Constraints
from ..result import OptimizationResult
from ..solvers import CONTINUOUS_CHAIN, MIP_TIME_LIMIT, SolverSpec
from .pipeline import Spec, run, variance

DEFAULT = Constraints()


def diversification_ratio(weights: np.ndarray, cov: np.ndarray) -> float:
    return float(np.sqrt(np.diag(cov)) @ weights / np.sqrt(weights @ cov @ weights))


def max_diversification(
    cov: np.ndarray,
    constraints: Constraints = DEFAULT,
    *,
    mu: np.ndarray | None = None,
    risk_free_rate: float = 0.0,
    solvers: Sequence[SolverSpec] = CONTINUOUS_CHAIN,
    mip_time_limit: float = MIP_TIME_LIMIT,
) -> OptimizationResult | Infeasible:
    """The most diversified portfolio; `mu` only for the reported return."""
    cov = np.asarray(cov, dtype=float)
    vols = np.sqrt(np.diag(cov))
    spec = Spec(
        "max_diversification",
        lambda f: cp.Minimize(variance(cov, f.w)),
        lambda f: ((), [vols @ f.w >= 1]),
        homogeneous=True,
        normalization="a positive weighted volatility",
        takes_costs=False,
    )
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
        ratio = diversification_ratio(result.weights, cov)
        result = dataclasses.replace(result, notes=(*result.notes, f"diversification ratio {ratio:.6g}"))
    return result
