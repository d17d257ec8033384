"""The path every solver-based method takes: formulate the constraints, add the method's objective
and constraints, solve (continuous chain, or MIP with the heuristic as fallback), and answer with an
`OptimizationResult` or, when infeasible, an `Infeasible` naming the conflict.

A method is a `Spec`: its objective over a `Formulation`, any named constraints of its own (a target
return, a tracking-error limit) and structural ones (auxiliary variables), and whether it works in
scaled weights (homogeneous: max Sharpe, max diversification).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from .. import direct
from ..infeasibility import Infeasible, diagnose
from ..problem import Block, Constraints, Formulation, big_m, formulate, violations
from ..qp import Objective, expressible
from ..qp import build as build_qp
from ..result import OptimizationResult, make_result
from ..solvers import (
    CONTINUOUS_CHAIN,
    INFEASIBLE_STATUSES,
    MIP_TIME_LIMIT,
    OPTIMAL,
    QP_FALLBACK_CHAIN,
    SolverSpec,
    solve_by_support,
    solve_chain,
    solve_mixed_integer,
)

Extras = Callable[[Formulation], tuple[Sequence[Block], Sequence]]
CHECK_TOL = 1e-5  # a solved portfolio breaking a stated constraint by more than this gets a note


@dataclass(frozen=True)
class Spec:
    method: str
    objective: Callable[[Formulation], cp.Minimize | cp.Maximize]
    extras: Extras | None = None  # (named blocks, structural constraints) of the method itself
    homogeneous: bool = False
    normalization: str = ""  # what the homogeneous normalization asks, named when it is the conflict
    takes_costs: bool = True
    qp: Objective | None = None  # the same problem as a plain QP, when it is one (solved directly)


def direct_path(spec: Spec, constraints: Constraints, solvers: Sequence[SolverSpec]) -> bool:
    """Whether the problem goes to OSQP directly first (solvers.py): a plain QP, the default chain."""
    return spec.qp is not None and tuple(solvers) == CONTINUOUS_CHAIN and expressible(constraints)


def risk_factor(cov: np.ndarray) -> np.ndarray:
    """G with G'G = Sigma (rows for the positive eigenvalues only): volatility = ||G w||_2, a
    second-order cone that stays exact for a singular covariance."""
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2.0)
    keep = vals > max(vals[-1], 0.0) * 1e-12
    return np.sqrt(vals[keep])[:, None] * vecs[:, keep].T


def variance(cov: np.ndarray, w: cp.Expression) -> cp.Expression:
    # psd_wrap: the estimators already return PSD matrices; skips cvxpy's eigenvalue check
    return cp.quad_form(w, cp.psd_wrap(cov))


def _build(spec: Spec, constraints: Constraints, n: int, *, integer: bool, support=None, loose_m=False):
    form = formulate(
        constraints, n, homogeneous=spec.homogeneous, integer=integer, support=support, loose_m=loose_m
    )
    if spec.extras is not None:
        form = form.extend(*spec.extras(form))
    return cp.Problem(spec.objective(form), form.constraints()), form


def run(
    spec: Spec,
    constraints: Constraints,
    cov: np.ndarray,
    *,
    mu: np.ndarray | None = None,
    risk_free_rate: float = 0.0,
    solvers: Sequence[SolverSpec] = CONTINUOUS_CHAIN,
    mip_time_limit: float = MIP_TIME_LIMIT,
    notes: Sequence[str] = (),
) -> OptimizationResult | Infeasible:
    """Solve one method under `constraints`; statistics from `cov`, `mu` and `risk_free_rate`."""
    n = cov.shape[0]
    costs = constraints.costs(n)
    if not spec.takes_costs and costs is not None and np.any(costs):
        raise ValueError(f"{spec.method} has no return term for transaction costs to reduce")
    ctx = _Context(spec, constraints, cov, mu, risk_free_rate, tuple(solvers), mip_time_limit)
    if constraints.needs_integer:
        return _run_integer(ctx, list(notes))
    earlier: tuple = ()
    if direct_path(spec, constraints, solvers):
        start = time.perf_counter()
        matrices = build_qp(constraints, n, spec.qp)
        weights, fast = direct.solve(matrices, built_seconds=time.perf_counter() - start)
        if weights is not None:
            return _finish(ctx, weights, fast, list(notes))
        earlier, solvers = fast.attempts, QP_FALLBACK_CHAIN
    problem, form = _build(spec, constraints, n, integer=False)
    outcome = solve_chain(problem, solvers)
    outcome = dataclasses.replace(outcome, attempts=earlier + outcome.attempts)
    if outcome.infeasible:
        return _infeasible(ctx, integer=False, attempts=outcome.attempts, notes=list(notes))
    return _finish(ctx, form.weights() if outcome.solved else None, outcome, list(notes))


@dataclass(frozen=True)
class _Context:
    spec: Spec
    constraints: Constraints
    cov: np.ndarray
    mu: np.ndarray | None
    risk_free_rate: float
    solvers: tuple[SolverSpec, ...]
    mip_time_limit: float

    @property
    def n(self) -> int:
        return self.cov.shape[0]


def _run_integer(ctx: _Context, notes: list[str]) -> OptimizationResult | Infeasible:
    """MIP when it applies; the support heuristic when it does not, when the MIP finds nothing in
    time, or, when the MIP stops at its time limit with a solution, as a rival: the better one wins."""
    spec, c, n = ctx.spec, ctx.constraints, ctx.n
    previous: tuple = ()
    mip_answer = None
    if spec.homogeneous or big_m(c, n) is None:
        why = "a ratio objective" if spec.homogeneous else "no finite bound on every weight"
        notes.append(f"min position / max names cannot be a MIP here ({why})")
    else:
        problem, form = _build(spec, c, n, integer=True)
        minimize = isinstance(problem.objective, cp.Minimize)
        outcome = solve_mixed_integer(problem, time_limit=ctx.mip_time_limit)
        if outcome.infeasible:
            return _infeasible(ctx, integer=True, attempts=outcome.attempts, notes=notes)
        if not outcome.solved:
            notes.append(
                f"the MIP solver returned no solution ({outcome.status}) within {ctx.mip_time_limit:g}s"
            )
            previous = outcome.attempts
        else:
            gap = "no bound on the gap" if outcome.mip_gap is None else f"gap {outcome.mip_gap:.3g}"
            notes.append(f"mixed-integer solve by {outcome.solver}: {outcome.status}, {gap}")
            mip_answer = _polish(ctx, form, outcome, notes)
            if outcome.status == OPTIMAL:
                return _finish(ctx, *mip_answer, notes)
            notes.append(f"the MIP stopped at its {ctx.mip_time_limit:g}s time limit: the heuristic competes")
            previous = mip_answer[1].attempts

    def build(support):
        problem, form = _build(spec, c, n, integer=False, support=support)
        return problem, form.weights

    heuristic = solve_by_support(
        build, n, max_names=c.max_names, min_position=c.min_position, chain=ctx.solvers
    )
    outcome = dataclasses.replace(heuristic.outcome, attempts=previous + heuristic.outcome.attempts)
    notes.append("cardinality / min position by heuristic: " + "; ".join(heuristic.steps))
    if mip_answer is not None:
        # better by more than solver noise, or the MIP (which chose its support by search) stays
        better = (
            heuristic.weights is not None and _gain(outcome.objective, mip_answer[1].objective, minimize) > 0
        )
        if not better:
            notes.append("the MIP's portfolio is kept: the heuristic's is no better")
            return _finish(
                ctx, mip_answer[0], dataclasses.replace(mip_answer[1], attempts=outcome.attempts), notes
            )
        notes.append("the heuristic's portfolio is kept: better than the MIP's incumbent")
    if heuristic.weights is not None:
        return _finish(ctx, heuristic.weights, outcome, notes)
    if heuristic.relaxation_status in INFEASIBLE_STATUSES:
        # even without min position / max names the constraints conflict: name that conflict
        return _infeasible(ctx, integer=False, attempts=outcome.attempts, notes=notes)
    return Infeasible(
        spec.method,
        (),
        (),
        "the heuristic found no portfolio meeting min position / max names (which does not prove there is none)",
        proven=False,
        attempts=outcome.attempts,
        notes=tuple(notes),
    )


def _gain(challenger: float, incumbent: float, minimize: bool) -> float:
    """How much better `challenger` is than `incumbent`, less a relative 1e-9 of noise."""
    gain = incumbent - challenger if minimize else challenger - incumbent
    return gain - 1e-9 * max(1.0, abs(incumbent))


def _polish(ctx: _Context, form: Formulation, mip, notes: list[str]):
    """(weights, outcome): the continuous optimum on the names the MIP chose to hold, each on the side
    it chose (min position then a plain bound). The MIP solvers' tolerances (SCIP approximates the
    quadratic by cuts) leave weights ~1e-4 from that optimum; the support and the gap stay the MIP's."""
    signs = form.held_signs()
    held = signs != 0
    problem, polished = _build(ctx.spec, ctx.constraints, ctx.n, integer=False, support=held)
    extra = []
    if ctx.constraints.min_position:
        for side, sign in ((np.flatnonzero(signs > 0), 1.0), (np.flatnonzero(signs < 0), -1.0)):
            if side.size:
                extra.append(sign * polished.w[side] >= ctx.constraints.min_position)
    outcome = solve_chain(cp.Problem(problem.objective, problem.constraints + extra), ctx.solvers)
    attempts = mip.attempts + outcome.attempts
    if not outcome.solved:
        notes.append(f"polishing on the MIP's support failed ({outcome.status}): the MIP's weights stand")
        return np.where(held, form.weights(), 0.0), dataclasses.replace(mip, attempts=attempts)
    notes.append(f"weights polished by {outcome.solver} on the {int(held.sum())} names the MIP chose")
    return np.where(held, polished.weights(), 0.0), dataclasses.replace(
        mip,
        attempts=attempts,
        objective=outcome.objective,
        setup_seconds=mip.setup_seconds + outcome.setup_seconds,
        solve_seconds=mip.solve_seconds + outcome.solve_seconds,
    )


def _infeasible(ctx: _Context, *, integer: bool, attempts, notes) -> Infeasible:
    spec, c, n = ctx.spec, ctx.constraints, ctx.n
    if spec.homogeneous:
        # the conflict is among the stated constraints, in plain weights, or else the normalization
        form = formulate(c, n, integer=False)
        probe = solve_chain(cp.Problem(cp.Minimize(0), form.constraints()))
        if probe.solved:
            message = f"infeasible: no portfolio within the constraints has {spec.normalization}"
            return Infeasible(
                spec.method, (spec.normalization,), (), message, attempts=attempts, notes=tuple(notes)
            )
    else:
        _, form = _build(spec, c, n, integer=integer, loose_m=True)
    return diagnose(
        spec.method,
        form.blocks,
        form.structural,
        integer=form.integer,
        attempts=attempts,
        time_limit=ctx.mip_time_limit,
        notes=notes,
    )


def _finish(ctx: _Context, weights, outcome, notes: list[str]) -> OptimizationResult:
    if weights is not None:
        broken = violations(ctx.constraints, weights, tol=CHECK_TOL)
        if broken:
            notes.append("the solver's answer breaks: " + "; ".join(broken))
    elif outcome.status == cp.UNBOUNDED:
        notes.append("unbounded: the constraints leave the objective unlimited (add bounds or leverage)")
    return make_result(
        ctx.spec.method,
        weights,
        ctx.cov,
        mu=ctx.mu,
        risk_free_rate=ctx.risk_free_rate,
        outcome=outcome,
        notes=tuple(notes),
    )
