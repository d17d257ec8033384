"""Mean-variance methods: minimum variance, maximum Sharpe, efficient return (least variance for a
target return), efficient risk (most return for a target volatility), quadratic utility, and the
efficient frontier as a curve.

Inputs: `cov` (N, N) and `mu` (N,) in consistent units (annual from the estimators), the risk-free
rate in the same units. Transaction costs (Constraints.transaction_costs, a rate per unit of weight
traded against the current weights) reduce the expected return where the objective has one
(max Sharpe, efficient risk, utility: net return = mu'w - costs); where the objective is a variance
(min variance, efficient return, the frontier) they are added to it as a penalty, as PyPortfolioOpt's
transaction_cost objective does. A target return is on mu'w.

Maximum Sharpe uses the Cornuejols-Tütüncü reformulation: minimize y' Sigma y subject to
(mu - rf)'y - costs(y) >= 1 and the constraints homogenized in y = kappa w (problem.py);
w = y / kappa. It needs a feasible portfolio whose expected return beats rf.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from .. import direct
from ..infeasibility import Infeasible
from ..problem import Block, Constraints, formulate
from ..qp import Objective, expressible, row_bounds
from ..qp import build as build_qp
from ..result import OptimizationResult, make_result
from ..solvers import CONTINUOUS_CHAIN, MIP_TIME_LIMIT, QP_FALLBACK_CHAIN, SolverSpec, solve_chain
from .pipeline import Spec, risk_factor, run, variance

DEFAULT = Constraints()
TARGET = "target return"  # the QP row of a target return


def _scalar(expr) -> cp.Expression:
    return cp.reshape(expr, (1,), order="C")


def min_variance(
    cov: np.ndarray,
    constraints: Constraints = DEFAULT,
    *,
    mu: np.ndarray | None = None,
    risk_free_rate: float = 0.0,
    solvers: Sequence[SolverSpec] = CONTINUOUS_CHAIN,
    mip_time_limit: float = MIP_TIME_LIMIT,
) -> OptimizationResult | Infeasible:
    """The least-variance portfolio (plus the cost penalty); `mu` only for the reported return."""
    cov = np.asarray(cov, dtype=float)
    spec = Spec("min_variance", lambda f: cp.Minimize(variance(cov, f.w) + f.cost), qp=Objective(cov))
    return run(
        spec,
        constraints,
        cov,
        mu=mu,
        risk_free_rate=risk_free_rate,
        solvers=solvers,
        mip_time_limit=mip_time_limit,
    )


def max_sharpe(
    mu: np.ndarray,
    cov: np.ndarray,
    constraints: Constraints = DEFAULT,
    *,
    risk_free_rate: float = 0.0,
    solvers: Sequence[SolverSpec] = CONTINUOUS_CHAIN,
    mip_time_limit: float = MIP_TIME_LIMIT,
) -> OptimizationResult | Infeasible:
    """The tangency portfolio: the most (net) excess return per unit of volatility."""
    mu, cov = np.asarray(mu, dtype=float), np.asarray(cov, dtype=float)

    def extras(f):
        return (), [(mu - risk_free_rate) @ f.w - f.cost >= 1]

    spec = Spec(
        "max_sharpe",
        lambda f: cp.Minimize(variance(cov, f.w)),
        extras,
        homogeneous=True,
        normalization="an expected return above the risk-free rate",
    )
    return run(
        spec,
        constraints,
        cov,
        mu=mu,
        risk_free_rate=risk_free_rate,
        solvers=solvers,
        mip_time_limit=mip_time_limit,
    )


def efficient_return(
    mu: np.ndarray,
    cov: np.ndarray,
    target_return: float,
    constraints: Constraints = DEFAULT,
    *,
    risk_free_rate: float = 0.0,
    solvers: Sequence[SolverSpec] = CONTINUOUS_CHAIN,
    mip_time_limit: float = MIP_TIME_LIMIT,
) -> OptimizationResult | Infeasible:
    """The least-variance portfolio with mu'w >= target_return (the Markowitz portfolio)."""
    mu, cov = np.asarray(mu, dtype=float), np.asarray(cov, dtype=float)

    def extras(f):
        return [
            Block(
                (f"target return >= {target_return:g}",), _scalar(mu @ f.w), ">=", np.array([target_return])
            )
        ], ()

    target = Objective(cov, rows=((TARGET, mu, float(target_return), np.inf),))
    spec = Spec("efficient_return", lambda f: cp.Minimize(variance(cov, f.w) + f.cost), extras, qp=target)
    return run(
        spec,
        constraints,
        cov,
        mu=mu,
        risk_free_rate=risk_free_rate,
        solvers=solvers,
        mip_time_limit=mip_time_limit,
    )


def efficient_risk(
    mu: np.ndarray,
    cov: np.ndarray,
    target_volatility: float,
    constraints: Constraints = DEFAULT,
    *,
    risk_free_rate: float = 0.0,
    solvers: Sequence[SolverSpec] = CONTINUOUS_CHAIN,
    mip_time_limit: float = MIP_TIME_LIMIT,
) -> OptimizationResult | Infeasible:
    """The most (net) expected return with volatility <= target_volatility."""
    mu, cov = np.asarray(mu, dtype=float), np.asarray(cov, dtype=float)
    g = risk_factor(cov)

    def extras(f):
        vol = _scalar(cp.norm(g @ f.w, 2))
        return [
            Block((f"volatility <= {target_volatility:g}",), vol, "<=", np.array([target_volatility]))
        ], ()

    spec = Spec("efficient_risk", lambda f: cp.Maximize(mu @ f.w - f.cost), extras)
    return run(
        spec,
        constraints,
        cov,
        mu=mu,
        risk_free_rate=risk_free_rate,
        solvers=solvers,
        mip_time_limit=mip_time_limit,
    )


def max_utility(
    mu: np.ndarray,
    cov: np.ndarray,
    risk_aversion: float,
    constraints: Constraints = DEFAULT,
    *,
    risk_free_rate: float = 0.0,
    solvers: Sequence[SolverSpec] = CONTINUOUS_CHAIN,
    mip_time_limit: float = MIP_TIME_LIMIT,
) -> OptimizationResult | Infeasible:
    """Maximize mu'w - costs - risk_aversion / 2 * w' Sigma w (PyPortfolioOpt's max_quadratic_utility)."""
    if risk_aversion <= 0:
        raise ValueError("risk_aversion must be positive")
    mu, cov = np.asarray(mu, dtype=float), np.asarray(cov, dtype=float)
    spec = Spec(
        "max_utility",
        lambda f: cp.Maximize(mu @ f.w - f.cost - risk_aversion / 2 * variance(cov, f.w)),
        qp=Objective(risk_aversion / 2 * cov, -mu, maximize=True),
    )
    return run(
        spec,
        constraints,
        cov,
        mu=mu,
        risk_free_rate=risk_free_rate,
        solvers=solvers,
        mip_time_limit=mip_time_limit,
    )


@dataclass(frozen=True)
class Frontier:
    target_returns: np.ndarray  # (P,)
    returns: np.ndarray  # (P,) mu'w of each point (NaN where unsolved)
    volatilities: np.ndarray  # (P,)
    sharpe: np.ndarray  # (P,)
    weights: np.ndarray  # (P, N)
    points: tuple[OptimizationResult, ...]  # each point's solver, status and timings
    setup_seconds: float  # building the parametrized problem once
    solve_seconds: float  # all the point solves together
    warm_started_points: int = 0  # points solved (by OSQP directly) from a previous answer


def efficient_frontier(
    mu: np.ndarray,
    cov: np.ndarray,
    constraints: Constraints = DEFAULT,
    *,
    points: int = 20,
    risk_free_rate: float = 0.0,
    solvers: Sequence[SolverSpec] = CONTINUOUS_CHAIN,
) -> Frontier | Infeasible:
    """`points` efficient portfolios with target returns evenly spaced from the minimum-variance
    portfolio's return to the highest return the constraints allow.

    With the default chain every point goes to one OSQP object (direct.Session): the matrices are
    built and factorized once, each point only moves the target row's lower bound and starts from
    the previous point's answer. The top point, and any point OSQP fails (or whose answer fails its
    checks), goes through the efficient-return problem in cvxpy, built once with the target as a
    Parameter, down Clarabel -> SCS; a stated chain goes that way for every point."""
    if constraints.needs_integer:
        raise ValueError("the frontier takes continuous constraints only (no min position / max names)")
    mu, cov = np.asarray(mu, dtype=float), np.asarray(cov, dtype=float)
    low = min_variance(cov, constraints, mu=mu, risk_free_rate=risk_free_rate, solvers=solvers)
    if isinstance(low, Infeasible):
        return low
    if not low.ok:
        raise ValueError(f"the minimum-variance end of the frontier was not solved ({low.status})")
    form = formulate(constraints, cov.shape[0], integer=False)
    top = cp.Problem(cp.Maximize(mu @ form.w), form.constraints())
    top_outcome = solve_chain(top, solvers)
    if not top_outcome.solved:
        raise ValueError(f"the highest return under the constraints is not finite ({top_outcome.status})")
    targets = np.linspace(low.expected_return, float(mu @ form.w.value), points)

    start = time.perf_counter()
    session = None
    if tuple(solvers) == CONTINUOUS_CHAIN and expressible(constraints):
        # (a QP OSQP cannot take is infeasible: the min-variance end above returned it already)
        # one OSQP object for every point: factorized once, each point only moves the target
        # row's bound and starts from the previous point's answer (the first from min variance's)
        matrices = build_qp(constraints, cov.shape[0], Objective(cov, rows=((TARGET, mu, -np.inf, np.inf),)))
        session = direct.Session(matrices, built_seconds=time.perf_counter() - start)
    fallback = None  # the parametrized cvxpy problem, built when a point needs it

    def through_cvxpy(t: float, chain):
        nonlocal fallback
        if fallback is None:
            target = cp.Parameter(name="target_return")
            block = Block(("target return (frontier point)",), _scalar(mu @ form.w), ">=", target)
            objective = cp.Minimize(variance(cov, form.w) + form.cost)
            fallback = (cp.Problem(objective, form.extend([block]).constraints()), target)
        problem, target = fallback
        target.value = float(t)
        outcome = solve_chain(problem, chain, warm_start=True)
        return (form.weights() if outcome.solved else None), outcome

    results, solve_total, warm = [], 0.0, 0
    for k, t in enumerate(targets):
        weights, outcome = None, None
        # the top point (the highest return) is the LP's optimal face, degenerate for ADMM: at 500
        # assets OSQP ran out its iterations there before Clarabel solved it, so it goes to cvxpy
        if session is not None and k < len(targets) - 1:
            low_b, high_b = row_bounds(session.qp, [(TARGET, float(t), np.inf)])
            weights, outcome = session.solve(lo=low_b, hi=high_b, seed=low.weights if k == 0 else None)
            warm += int(weights is not None and outcome.attempts[-1].warm_start)
            if weights is None:
                weights, rest = through_cvxpy(t, QP_FALLBACK_CHAIN)
                outcome = dataclasses.replace(rest, attempts=outcome.attempts + rest.attempts)
        else:
            weights, outcome = through_cvxpy(t, solvers if session is None else QP_FALLBACK_CHAIN)
        solve_total += outcome.solve_seconds
        results.append(
            make_result(
                "efficient_return", weights, cov, mu=mu, risk_free_rate=risk_free_rate, outcome=outcome
            )
        )
    # set up once: the matrices built and factorized, or the cvxpy problem compiled by its first solve
    setup = session.setup_seconds if session is not None else results[0].setup_seconds
    weights = np.vstack([r.weights for r in results])
    return Frontier(
        target_returns=targets,
        returns=np.array([np.nan if r.expected_return is None else r.expected_return for r in results]),
        volatilities=np.array([r.volatility for r in results]),
        sharpe=np.array([np.nan if r.sharpe is None else r.sharpe for r in results]),
        weights=weights,
        points=tuple(results),
        setup_seconds=setup,
        solve_seconds=solve_total,
        warm_started_points=warm,
    )
