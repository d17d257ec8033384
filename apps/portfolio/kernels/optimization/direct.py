"""Plain QPs straight to OSQP (qp.py builds the matrices), checked (checks.py), warm-started.

`solve` answers one QP; `Session` keeps one OSQP object for a sequence of QPs that differ only in
their bounds (the efficient frontier's target return), so the matrices are factorized once and each
solve starts from the previous answer. A rejected or failed answer comes back without weights and
the caller goes on down the fallback chain (solvers.py) with the attempt recorded.

Warm starts across runs: inside `warm_start_from(weights)` every direct solve of N weights starts
from those weights (the service seeds a re-run or the next optimization of a portfolio with its
last stored weights). A context variable rather than an argument threaded through every method: the
seed is a hint to one solver, never part of the problem, and the answer does not depend on it
(the checks certify the optimum either way).
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterator
from contextvars import ContextVar

import numpy as np
import osqp

from .checks import rejection
from .qp import QP
from .solvers import INACCURATE, OPTIMAL, SolveOutcome, SolverAttempt

# ADMM only has to get close enough for polishing to guess the active rows; the accepted answer is
# the polished one, certified to 1e-9 by checks.py. At 500 assets eps 1e-9 took 225 iterations
# (0.075 s) for the same polished answer that 1e-5 reaches in ~50-100. Where polishing fails (a
# wrong guess near the top of the frontier, or a singular active system when auxiliaries are not
# unique: gross leverage of a long-short book) the solve goes on from where it stopped at the next
# tolerance, the last one tight enough for ADMM's own answer to pass the checks. Each stage is
# capped in iterations (not seconds: the path an answer takes must not depend on the machine's load)
# so a hard problem falls back to Clarabel in about the time Clarabel would take.
SETTINGS = {
    "polishing": True,
    "polish_refine_iter": 5,
    "time_limit": 30.0,
    "verbose": False,
}
STAGES = (
    {"eps_abs": 1e-5, "eps_rel": 1e-5, "max_iter": 1000},
    {"eps_abs": 1e-7, "eps_rel": 1e-7, "max_iter": 1000},
    {"eps_abs": 1e-11, "eps_rel": 1e-11, "max_iter": 2000},
)

STATUSES = {  # OSQP's status -> cvxpy's vocabulary, which the attempts speak
    "solved": OPTIMAL,
    "solved inaccurate": INACCURATE,
    "primal infeasible": "infeasible",
    "primal infeasible inaccurate": "infeasible_inaccurate",
    "dual infeasible": "unbounded",
    "dual infeasible inaccurate": "unbounded_inaccurate",
    "maximum iterations reached": "user_limit",
    "run time limit reached": "user_limit",
}

_seed: ContextVar[np.ndarray | None] = ContextVar("portfolio_qp_seed", default=None)


@contextlib.contextmanager
def warm_start_from(weights: np.ndarray | None) -> Iterator[None]:
    """Direct solves of len(weights) assets inside start from `weights` (module docstring)."""
    token = _seed.set(None if weights is None else np.asarray(weights, dtype=float))
    try:
        yield
    finally:
        _seed.reset(token)


def seed_for(n: int) -> np.ndarray | None:
    seed = _seed.get()
    return seed if seed is not None and seed.shape == (n,) and np.isfinite(seed).all() else None


class Session:
    """One OSQP object for QPs sharing P, q and A (module docstring)."""

    def __init__(self, qp: QP, *, built_seconds: float = 0.0):
        """`built_seconds`: what building `qp` took, counted in the setup the first solve reports."""
        start = time.perf_counter()
        self.qp = qp
        self.solver = osqp.OSQP()
        self.solver.setup(qp.P, qp.q, qp.A, qp.l, qp.u, **SETTINGS, **STAGES[0])
        self.setup_seconds = built_seconds + time.perf_counter() - start
        self.solves = 0
        self._last_good: tuple[np.ndarray, np.ndarray] | None = None

    def solve(
        self, *, lo: np.ndarray | None = None, hi: np.ndarray | None = None, seed: np.ndarray | None = None
    ) -> tuple[np.ndarray | None, SolveOutcome]:
        """(weights or None, outcome) under the rows' bounds `lo`, `hi` (the QP's own when None).
        The first solve starts from `seed` (weights) when given, later ones from the last accepted
        answer (or, when none was, from wherever OSQP stopped)."""
        qp = self.qp
        start = time.perf_counter()
        lo = qp.l if lo is None else lo
        hi = qp.u if hi is None else hi
        self.solver.update(l=lo, u=hi)
        warm = self.solves > 0 or seed is not None
        if self.solves == 0 and seed is not None:
            self.solver.warm_start(x=qp.seed(seed))
        elif self._last_good is not None:
            # from the last accepted answer, not from wherever a failed solve stopped
            self.solver.warm_start(x=self._last_good[0], y=self._last_good[1])
        # the checks hold the answer to the bounds this solve had
        checked = dataclasses.replace(qp, l=lo, u=hi)
        for k, stage in enumerate(STAGES):
            if k:  # from where the previous stage stopped (OSQP keeps its iterate)
                self.solver.update_settings(**stage)
            result = self.solver.solve(raise_error=False)
            x, status, error = _judge(checked, result)
            if x is not None or status not in (OPTIMAL, INACCURATE, "rejected", "user_limit"):
                break  # accepted, or infeasible / unbounded: tighter tolerances change nothing
        if k:
            self.solver.update_settings(**STAGES[0])
        seconds = time.perf_counter() - start
        setup = self.setup_seconds if self.solves == 0 else 0.0
        self.solves += 1
        attempt = SolverAttempt("OSQP", status, setup + seconds, error, warm_start=warm)
        if x is None:
            return None, SolveOutcome(status, None, (attempt,), setup, seconds, None)
        self._last_good = (x, result.y)
        return x[: qp.n], SolveOutcome(OPTIMAL, "OSQP", (attempt,), setup, seconds, qp.objective(x))


def _judge(qp: QP, result) -> tuple[np.ndarray | None, str, str | None]:
    """(x or None, status, error) of one OSQP result: a "solved" answer is accepted only when it
    passes the checks (checks.py), polished or not; "rejected" otherwise."""
    status = STATUSES.get(result.info.status, "solver_error")
    if status != OPTIMAL:
        return None, status, f"OSQP: {result.info.status}" if status == "solver_error" else None
    x = qp.tighten(result.x)
    error = rejection(qp, x, result.y)
    if error is None:
        return x, OPTIMAL, None
    polish = "" if result.info.status_polish == 1 else " (polishing failed)"
    return None, "rejected", error + polish


def crossed(qp: QP) -> str | None:
    """Why OSQP cannot take the QP at all, or None: a row whose lower bound is above its upper one
    (min weight above max weight, a sector floor above its cap) fails OSQP's data validation,
    where cvxpy's path reports it as an infeasibility and names the conflict."""
    if np.any(qp.l > qp.u):
        return "a constraint's lower bound is above its upper bound"
    return None


def solve(qp: QP, *, built_seconds: float = 0.0) -> tuple[np.ndarray | None, SolveOutcome]:
    """One QP, from the context's seed when there is one (`warm_start_from`)."""
    reason = crossed(qp)
    if reason is None:
        try:
            return Session(qp, built_seconds=built_seconds).solve(seed=seed_for(qp.n))
        except osqp.OSQPException as exc:  # setup refused the data
            reason = f"OSQP: {exc}"
    attempt = SolverAttempt("OSQP", "skipped", 0.0, reason)
    return None, SolveOutcome("skipped", None, (attempt,), 0.0, 0.0, None)
