"""Risk budgeting: equal risk contribution (risk parity) and its generalization to risk budgets.

Risk contributions RC_i = w_i (Sigma w)_i / sigma(w) sum to the volatility; a risk-budgeting
portfolio has RC_i / sigma = b_i / sum(b). It is the solution of the convex log-barrier problem
(Maillard, Roncalli and Teiletche 2010; Spinu 2013) min 1/2 y' Sigma y - b' log(y), rescaled to
sum 1. What is solved is the equivalent form skfolio's RiskBudgeting uses, which takes further
constraints: minimize y' Sigma y subject to b' log(y) >= 0 and every constraint homogenized in
y = kappa w (problem.py), w = y / kappa. Long-only by construction (every weight is positive);
with bounds, sector caps and the like binding, the risk contributions are no longer exactly the
budgets. Transaction costs have no place in it, nor min position / max names.
"""

from __future__ import annotations

from collections.abc import Sequence

import cvxpy as cp
import numpy as np

from ..infeasibility import Infeasible
from ..problem import Constraints
from ..result import OptimizationResult
from ..solvers import CONTINUOUS_CHAIN, SolverSpec
from .pipeline import Spec, run, variance

DEFAULT = Constraints()


def risk_parity(
    cov: np.ndarray,
    constraints: Constraints = DEFAULT,
    *,
    budgets: np.ndarray | None = None,
    mu: np.ndarray | None = None,
    risk_free_rate: float = 0.0,
    solvers: Sequence[SolverSpec] = CONTINUOUS_CHAIN,
) -> OptimizationResult | Infeasible:
    """The risk-budgeting portfolio for `budgets` (N,) positive (equal risk contribution when None);
    `mu` only for the reported return."""
    cov = np.asarray(cov, dtype=float)
    n = cov.shape[0]
    b = np.ones(n) if budgets is None else np.asarray(budgets, dtype=float)
    if b.shape != (n,) or (b <= 0).any():
        raise ValueError("risk budgets must be (N,) and positive")
    if not constraints.long_only:
        raise ValueError("risk budgeting is long-only")
    if constraints.needs_integer:
        raise ValueError("risk budgeting holds every asset: no min position / max names")
    b = b / b.sum()

    def extras(f):
        return (), [b @ cp.log(f.w) >= 0]

    spec = Spec(
        "risk_parity" if budgets is None else "risk_budgeting",
        lambda f: cp.Minimize(variance(cov, f.w)),
        extras,
        homogeneous=True,
        normalization="a positive weight on every asset (risk budgeting)",
        takes_costs=False,
    )
    notes = (f"risk budgets {'equal' if budgets is None else 'as given'} (normalized to sum 1)",)
    return run(spec, constraints, cov, mu=mu, risk_free_rate=risk_free_rate, solvers=solvers, notes=notes)
