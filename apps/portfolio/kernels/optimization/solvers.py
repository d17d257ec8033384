"""Solving a cvxpy problem reliably, and saying how it was solved.

A plain QP (minimum variance, efficient return, quadratic utility, a frontier point: a quadratic
objective under linear constraints) with the default chain goes first to OSQP directly, without
cvxpy (qp.py builds its matrices, direct.py solves, checks.py certifies the answer); when OSQP fails
or its answer is rejected, the attempt is recorded and the problem goes through cvxpy down
QP_FALLBACK_CHAIN, Clarabel -> SCS. A chain a caller states is followed as stated.

Continuous problems go down a fallback chain, Clarabel -> OSQP -> SCS by default, each with its own
time limit; every attempt (solver, status, seconds, error) is recorded. The first "optimal" answer is
taken; "infeasible" or "unbounded" from a solver is believed (both carry a certificate) and ends the
chain; an "optimal_inaccurate" answer is kept only if no later solver does better. OSQP is skipped for
problems that are not QPs (it solves nothing else). A linear program (min CVaR, an LP-only problem)
goes HiGHS -> Clarabel -> SCS instead: at 500 assets x 756 scenarios Clarabel answered
"optimal_inaccurate" and OSQP then spent ~39 s reaching its limit before SCS solved it, where HiGHS,
a dedicated LP solver, answers exactly.

Mixed-integer problems go to the open MIP solver that fits: HiGHS for mixed-integer LPs, SCIP for
anything with a quadratic or second-order-cone part (HiGHS does no MIQP), with a time cap; the MIP
gap is reported when the solver gives one. When no solution comes back, `solve_by_support` is the
stated fallback heuristic: solve the continuous relaxation, keep the top-k names by |weight|, re-solve
restricted to them, and while some held name is below the minimum position drop those names and
re-solve.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

OPTIMAL, INACCURATE = cp.OPTIMAL, cp.OPTIMAL_INACCURATE
DEFINITE = (cp.INFEASIBLE, cp.UNBOUNDED)
INFEASIBLE_STATUSES = (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE)


@dataclass(frozen=True)
class SolverSpec:
    name: str  # a cvxpy solver name
    time_limit: float = 60.0  # seconds
    options: Mapping[str, Any] = field(default_factory=dict)  # passed to the solver, after the defaults


# Tolerances tighter than the solvers' defaults (Clarabel 1e-8, OSQP 1e-3, SCS 1e-4), so the
# solver a fallback lands on agrees with the first one to about 1e-6 in the weights.
DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "CLARABEL": {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10},
    "OSQP": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iter": 200_000, "polishing": True},
    "SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000},
    "HIGHS": {"output_flag": False},  # HiGHS prints its banner and log to stdout otherwise
    "SCIP": {},
}
CONTINUOUS_CHAIN = (SolverSpec("CLARABEL"), SolverSpec("OSQP"), SolverSpec("SCS"))
# after OSQP called directly (direct.py) on a plain QP: the rest of the chain through cvxpy
QP_FALLBACK_CHAIN = (SolverSpec("CLARABEL"), SolverSpec("SCS"))
LP_CHAIN = (SolverSpec("HIGHS"), SolverSpec("CLARABEL"), SolverSpec("SCS"))
MIP_TIME_LIMIT = 60.0
WARM = ("OSQP", "SCS")  # the chain's solvers cvxpy can warm-start


@dataclass(frozen=True)
class SolverAttempt:
    solver: str
    status: str  # a cvxpy status, "skipped", "error", or "rejected" (a direct answer failing its checks)
    seconds: float  # wall time of the attempt, compilation included
    error: str | None = None
    warm_start: bool = False  # the solver started from a given point (a previous answer)


@dataclass(frozen=True)
class SolveOutcome:
    status: str  # the accepted attempt's status, or the best the chain got
    solver: str | None  # the solver whose answer is in the variables
    attempts: tuple[SolverAttempt, ...]
    setup_seconds: float  # cvxpy compilation of the accepted attempt
    solve_seconds: float  # the solver's own time for it
    objective: float | None
    mip_gap: float | None = None

    @property
    def solved(self) -> bool:
        return self.status in (OPTIMAL, INACCURATE)

    @property
    def infeasible(self) -> bool:
        return self.status in INFEASIBLE_STATUSES


def _options(spec: SolverSpec) -> dict[str, Any]:
    opts = dict(DEFAULT_OPTIONS.get(spec.name, {}))
    if spec.name == "SCS":
        opts["time_limit_secs"] = spec.time_limit
    elif spec.name == "SCIP":
        opts["scip_params"] = {"limits/time": spec.time_limit}
    else:  # Clarabel, OSQP and HiGHS all call it time_limit
        opts["time_limit"] = spec.time_limit
    opts.update(spec.options)
    return opts


def _gap(problem: cp.Problem, solver: str) -> float | None:
    """The relative MIP gap; None when the solver has none or no bound yet (SCIP then says 1e20,
    its infinity)."""
    stats = problem.solver_stats.extra_stats if problem.solver_stats else None
    try:
        gap = float(stats.mip_gap) if solver == "HIGHS" else float(stats["model"].getGap())
    except (AttributeError, KeyError, TypeError):
        return None
    return gap if np.isfinite(gap) and gap < 1e19 else None


_highs_banner_shown = False
_highs_lock = threading.Lock()


def _quiet_highs_banner() -> None:
    """HiGHS's C++ library prints a copyright banner to the process's stdout (file descriptor 1) the
    first time a solver object is made, whatever the options: it corrupted `bench --json` output and
    workers' logs. Make that first object once, with descriptor 1 pointed at /dev/null."""
    global _highs_banner_shown
    with _highs_lock:
        if _highs_banner_shown:
            return
        _highs_banner_shown = True
        try:
            import highspy
        except ImportError:
            return
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def _attempt(problem: cp.Problem, spec: SolverSpec, warm_start: bool) -> tuple[SolverAttempt, float, float]:
    if spec.name == "HIGHS":
        _quiet_highs_banner()
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # "Solution may be inaccurate" is recorded as the attempt's status instead
            warnings.simplefilter("ignore", UserWarning)
            problem.solve(solver=spec.name, warm_start=warm_start, **_options(spec))
    except cp.error.SolverError as exc:  # not installed, cannot take the problem, or crashed
        return SolverAttempt(spec.name, "error", time.perf_counter() - start, str(exc)[:500]), 0.0, 0.0
    seconds = time.perf_counter() - start
    stats = problem.solver_stats
    solve = float(stats.solve_time) if stats and stats.solve_time is not None else seconds
    return (
        # cvxpy hands the previous solution only to the solvers that take one
        SolverAttempt(spec.name, str(problem.status), seconds, warm_start=warm_start and spec.name in WARM),
        float(problem.compilation_time or 0.0),
        solve,
    )


def _snapshot(problem: cp.Problem) -> dict:
    return {v.id: (v, None if v.value is None else np.array(v.value)) for v in problem.variables()}


def solve_chain(
    problem: cp.Problem, chain: Sequence[SolverSpec] = CONTINUOUS_CHAIN, *, warm_start: bool = False
) -> SolveOutcome:
    """Solve along the fallback chain (module docstring); the accepted answer is left in the
    problem's variables."""
    attempts: list[SolverAttempt] = []
    kept = None  # (attempt, setup, solve, objective, variable values) of an inaccurate answer
    last_status = "solver_error"
    is_qp = problem.is_qp()
    if chain is CONTINUOUS_CHAIN and problem.is_lp():
        chain = LP_CHAIN
    for spec in chain:
        if spec.name == "OSQP" and not is_qp:
            attempts.append(SolverAttempt(spec.name, "skipped", 0.0, "OSQP solves only LPs and QPs"))
            continue
        attempt, setup, solve = _attempt(problem, spec, warm_start)
        attempts.append(attempt)
        if attempt.status == "error":
            continue
        last_status = attempt.status
        if attempt.status == OPTIMAL or attempt.status in DEFINITE:
            value = problem.value if attempt.status == OPTIMAL else None
            return SolveOutcome(attempt.status, spec.name, tuple(attempts), setup, solve, value)
        if attempt.status == INACCURATE and kept is None:
            kept = (attempt, setup, solve, problem.value, _snapshot(problem))
    if kept is not None:
        attempt, setup, solve, value, snapshot = kept
        for var, val in snapshot.values():
            var.value = val
        return SolveOutcome(INACCURATE, attempt.solver, tuple(attempts), setup, solve, value)
    return SolveOutcome(last_status, None, tuple(attempts), 0.0, 0.0, None)


def mip_solver(problem: cp.Problem) -> str:
    """HiGHS for a mixed-integer LP, SCIP otherwise (it takes second-order cones; cvxpy hands it a
    quadratic objective as one)."""
    return "HIGHS" if problem.is_lp() else "SCIP"


def solve_mixed_integer(problem: cp.Problem, *, time_limit: float = MIP_TIME_LIMIT) -> SolveOutcome:
    """One attempt with the fitting MIP solver under `time_limit` seconds. A solution found before the
    limit is returned with status "optimal_inaccurate" unless proven optimal, and the gap either way."""
    spec = SolverSpec(mip_solver(problem), time_limit)
    attempt, setup, solve = _attempt(problem, spec, False)
    has_solution = attempt.status != "error" and problem.value is not None and np.isfinite(problem.value)
    if not has_solution or attempt.status not in (OPTIMAL, INACCURATE, cp.USER_LIMIT):
        status = attempt.status if attempt.status != "error" else "solver_error"
        if attempt.status in (cp.USER_LIMIT, INACCURATE):
            status = "time_limit"  # stopped without a feasible point
        return SolveOutcome(status, None, (attempt,), setup, solve, None)
    gap = _gap(problem, spec.name)
    status = OPTIMAL if attempt.status == OPTIMAL else INACCURATE
    return SolveOutcome(status, spec.name, (attempt,), setup, solve, float(problem.value), gap)


@dataclass(frozen=True)
class HeuristicOutcome:
    outcome: SolveOutcome  # the last restricted solve (attempts of every solve included)
    weights: np.ndarray | None
    support: np.ndarray  # (N,) bool, the assets the final solve allowed
    steps: tuple[str, ...]  # what the heuristic did, in order
    relaxation_status: str  # the first, unrestricted solve's status


Build = Callable[[np.ndarray | None], tuple[cp.Problem, Callable[[], np.ndarray]]]


def solve_by_support(
    build: Build,
    n: int,
    *,
    max_names: int | None,
    min_position: float | None,
    chain: Sequence[SolverSpec] = CONTINUOUS_CHAIN,
    tol: float = 1e-6,
) -> HeuristicOutcome:
    """The fallback heuristic for cardinality and minimum positions (module docstring).

    `build(support)` returns a continuous problem restricted to `support` (None: every asset) and a
    function reading its weights after a solve. Stops with the first restricted problem whose held
    names all reach `min_position`; fails (weights None) when a restricted problem is not solved."""
    attempts: list[SolverAttempt] = []
    support = np.ones(n, dtype=bool)
    problem, read = build(None)
    outcome = solve_chain(problem, chain)
    attempts += outcome.attempts
    relaxation = outcome.status
    steps = [f"solved the relaxation without integer constraints: {outcome.status}"]
    while outcome.solved:
        w = np.where(support, read(), 0.0)
        held = np.abs(w) > tol
        small = held & (np.abs(w) < (min_position or 0.0) - tol)
        if (max_names is None or held.sum() <= max_names) and not small.any():
            return HeuristicOutcome(
                _with(outcome, attempts), np.where(held, w, 0.0), support, tuple(steps), relaxation
            )
        # each step strictly shrinks the support, so this ends
        if max_names is not None and held.sum() > max_names:
            support = np.zeros(n, dtype=bool)
            support[np.argsort(-np.abs(w), kind="stable")[:max_names]] = True
            steps.append(f"kept the {max_names} largest of {int(held.sum())} names")
        else:
            support = held & ~small
            steps.append(f"dropped {int(small.sum())} names below the minimum position {min_position:g}")
        problem, read = build(support)
        outcome = solve_chain(problem, chain)
        attempts += outcome.attempts
        steps.append(f"re-solved on {int(support.sum())} names: {outcome.status}")
    return HeuristicOutcome(_with(outcome, attempts), None, support, tuple(steps), relaxation)


def _with(outcome: SolveOutcome, attempts: list[SolverAttempt]) -> SolveOutcome:
    return dataclasses.replace(outcome, attempts=tuple(attempts))
