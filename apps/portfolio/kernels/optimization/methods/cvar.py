"""Minimum CVaR over return scenarios (Rockafellar and Uryasev 2000), as a linear program.

`scenarios` (T, N) are per-period returns, each scenario equally likely (historical returns, or
simulated ones). The loss of scenario t is -r_t'w; CVaR at level beta is the mean of the worst
(1 - beta) share of losses:
  CVaR_beta(w) = min over a of  a + 1 / ((1 - beta) T) * sum_t max(-r_t'w - a, 0)
Minimized jointly over w, a and the excess losses u_t >= 0, u_t >= -r_t'w - a: an LP (so the
cardinality MIP goes to HiGHS). Transaction costs add to the CVaR (both are returns lost); an
optional target return bounds the scenarios' mean return. CVaR is in per-period units.
"""

from __future__ import annotations

from collections.abc import Sequence

import cvxpy as cp
import numpy as np

from ..infeasibility import Infeasible
from ..problem import Block, Constraints
from ..result import OptimizationResult
from ..solvers import CONTINUOUS_CHAIN, MIP_TIME_LIMIT, SolverSpec
from .pipeline import Spec, run

DEFAULT = Constraints()


def min_cvar(
    scenarios: np.ndarray,
    constraints: Constraints = DEFAULT,
    *,
    beta: float = 0.95,
    target_return: float | None = None,
    cov: np.ndarray | None = None,
    mu: np.ndarray | None = None,
    risk_free_rate: float = 0.0,
    solvers: Sequence[SolverSpec] = CONTINUOUS_CHAIN,
    mip_time_limit: float = MIP_TIME_LIMIT,
) -> OptimizationResult | Infeasible:
    """The least-CVaR portfolio; its objective value is the CVaR (plus costs). Reported return and
    risk use `mu` and `cov` when given, else the scenarios' mean and sample covariance."""
    r = np.asarray(scenarios, dtype=float)
    if not np.isfinite(r).all():
        raise ValueError("scenarios must be complete (apply a missing-data policy first)")
    if not 0 < beta < 1:
        raise ValueError("beta must be in (0, 1)")
    t = r.shape[0]
    mean = r.mean(axis=0)
    a = cp.Variable(name="var_level")
    u = cp.Variable(t, nonneg=True, name="excess_loss")

    def extras(f):
        blocks = []
        if target_return is not None:
            blocks.append(
                Block(
                    (f"target return >= {target_return:g}",),
                    cp.reshape(mean @ f.w, (1,), order="C"),
                    ">=",
                    np.array([target_return]),
                )
            )
        return blocks, [u >= -r @ f.w - a]

    def objective(f):
        return cp.Minimize(a + cp.sum(u) / ((1.0 - beta) * t) + f.cost)

    spec = Spec("min_cvar", objective, extras)
    cov = np.atleast_2d(np.cov(r, rowvar=False)) if cov is None else np.asarray(cov, dtype=float)
    notes = (f"CVaR at beta {beta:g} over {t} equally likely scenarios",)
    return run(
        spec,
        constraints,
        cov,
        mu=mean if mu is None else np.asarray(mu, dtype=float),
        risk_free_rate=risk_free_rate,
        solvers=solvers,
        mip_time_limit=mip_time_limit,
        notes=notes,
    )
