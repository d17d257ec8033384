"""Running optimizations and storing every run: inputs through selectors/optimization_inputs.py, the
kernels in kernels/optimization, the answer (or the infeasibility report) on an `Optimization`.

Each method's mapping onto its kernel is in services/optimization_methods.py; the estimators
(the factor one included) in selectors/optimization_estimates.py. What a method or estimator adds
to the answer is kept in `Optimization.details`.

`optimization_run` solves a request; `optimization_rerun` solves a stored one again on the same
window and constraints (the fingerprint of the returns says whether the data are still the same),
reusing what the first run resolved and could otherwise move: a benchmark's weights and a stored
factor's version; `optimization_frontier` computes the efficient frontier of a stored
optimization's inputs once and keeps it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.platform.jobs import job_progress

from ..kernels import optimization as opt
from ..models import Optimization, OptimizationStatus, Portfolio
from ..selectors.optimization_estimates import estimates_load
from ..selectors.optimization_inputs import constraints_from_body, inputs_load, universe_of
from ..selectors.optimizations import last_weights
from .optimization_methods import FRONTIER_POINTS, Problem, method_solve
from .optimization_methods import METHODS as METHOD_SOLVERS

METHODS = tuple(METHOD_SOLVERS)


def _by_symbol(symbols, values) -> dict[str, float]:
    return {s: float(v) for s, v in zip(symbols, values, strict=True)}


def _finite(x):
    return None if x is None or not np.isfinite(x) else float(x)


def _attempts(attempts) -> list[dict]:
    return [
        {k: (_finite(v) if isinstance(v, float) else v) for k, v in dataclasses.asdict(a).items()}
        for a in attempts
    ]


def frontier_document(frontier: opt.Frontier, symbols) -> dict:
    return {
        "points": [
            {
                "target_return": _finite(t),
                "expected_return": _finite(r),
                "volatility": _finite(v),
                "sharpe": _finite(s),
                "weights": _by_symbol(symbols, w) if np.isfinite(w).all() else None,
            }
            for t, r, v, s, w in zip(
                frontier.target_returns,
                frontier.returns,
                frontier.volatilities,
                frontier.sharpe,
                frontier.weights,
                strict=True,
            )
        ],
        "setup_seconds": frontier.setup_seconds,
        "solve_seconds": frontier.solve_seconds,
        "solvers": sorted({p.solver for p in frontier.points if p.solver}),
        "warm_started_points": frontier.warm_started_points,
    }


def _apply(row: Optimization, answer, symbols: list[str]) -> None:
    """The kernel's answer onto the row's output fields."""
    if isinstance(answer, opt.Frontier):
        frontier = answer
        row.frontier = frontier_document(frontier, symbols)
        best = int(np.argmax(np.where(np.isfinite(frontier.sharpe), frontier.sharpe, -np.inf)))
        answer = frontier.points[best]
        row.notes = [
            *row.notes,
            f"weights: the frontier's point of highest Sharpe ({best + 1} of {len(frontier.points)})",
        ]
    if isinstance(answer, opt.Infeasible):
        row.status = OptimizationStatus.INFEASIBLE
        row.infeasibility = {
            "message": answer.message,
            "conflict": list(answer.conflict),
            "relaxations": [dataclasses.asdict(r) for r in answer.relaxations],
            "proven": answer.proven,
        }
        row.attempts = _attempts(answer.attempts)
        row.notes = [*row.notes, *answer.notes]
        return
    ok = answer.ok
    row.weights = _by_symbol(symbols, answer.weights) if ok else {}
    row.risk_contributions = _by_symbol(symbols, answer.risk_contributions) if ok else {}
    row.expected_return = _finite(answer.expected_return)
    row.volatility = _finite(answer.volatility)
    row.sharpe = _finite(answer.sharpe)
    row.solver = answer.solver or ""
    row.status = answer.status if ok else OptimizationStatus.FAILED
    row.mip_gap = _finite(answer.mip_gap)
    row.attempts = _attempts(answer.attempts)
    row.timings = {"setup_seconds": answer.setup_seconds, "solve_seconds": answer.solve_seconds}
    row.notes = [*row.notes, *answer.notes]


def _pins(optimization: Optimization) -> dict:
    """What a re-run reuses from the first run rather than resolving again: the benchmark's weights
    (a portfolio benchmark moves with prices) and a stored factor's version (a name means its latest)."""
    details = optimization.details or {}
    pins = {}
    if details.get("benchmark"):
        pins["benchmark"] = details["benchmark"]
    spec = optimization.estimator.get("factor") or {}
    if spec.get("factor") and details.get("estimator", {}).get("factor"):
        pins["factor"] = details["estimator"]["factor"]
    return pins


def _compute(row: Optimization, job_id: str | None = None, *, user=None, pins: dict | None = None) -> None:
    """Load the inputs the row states, solve, and fill the row's outputs (not saved)."""
    pins = pins or {}
    if job_id:
        job_progress(job_id, 10, "loading prices")
    inputs = inputs_load(
        row.portfolio, list(row.universe), start=row.window_start, end=row.window_end, lookback=row.lookback
    )
    rf = float(row.params.get("risk_free_rate", 0.0))
    est, details = estimates_load(inputs, row.estimator, rf, pinned_factor=pins.get("factor"))
    kept = [inputs.symbols[i] for i in est.assets]
    c = constraints_from_body(row.constraints, inputs, est.assets)
    if job_id:
        job_progress(job_id, 40, f"solving {row.method} over {len(kept)} assets")
    problem = Problem(est, inputs, c, row.params, kept, row.portfolio, user=user, pins=pins)
    # the portfolio's last weights over these assets seed the solver (a warm start, not an input)
    seed = last_weights(row.portfolio_id, kept)
    try:
        with opt.direct.warm_start_from(seed.weights if seed else None):
            answer, method_details = method_solve(row.method, problem)
    except KeyError as exc:
        raise ValidationError({f"params.{exc.args[0]}": f"{row.method} needs {exc.args[0]}"}) from exc
    except ValueError as exc:
        raise ValidationError({"constraints": str(exc)}) from exc
    row.inputs_fingerprint = inputs.fingerprint
    # the window the data covered, [first close, last close + 1 µs): a re-run reads exactly these
    row.window_start = inputs.start.to_pydatetime()
    row.window_end = (inputs.dates[-1] + pd.Timedelta(microseconds=1)).to_pydatetime()
    dropped = [inputs.symbols[i] for i in est.report.dropped_assets]
    row.inputs = {
        "returns": int(inputs.returns.shape[0]),
        "returns_used": int(est.dates.size),
        "first_date": inputs.dates[0].isoformat(),
        "last_date": inputs.dates[-1].isoformat(),
        "assets": kept,
        "dropped_assets": dropped,
        "missing": est.report.describe(),
    }
    row.details = {**details, **method_details}
    row.notes = list(est.notes)
    _apply(row, answer, kept)
    if seed is not None and any(a.get("warm_start") for a in row.attempts):
        row.notes.append(f"warm start: the solver began at optimization {seed.optimization_id}'s weights")


@transaction.atomic
def optimization_run(
    *,
    portfolio: Portfolio,
    method: str,
    estimator: dict | None = None,
    constraints: dict | None = None,
    params: dict | None = None,
    universe: list[str] | None = None,
    window_start=None,
    window_end=None,
    lookback: int | None = None,
    user=None,
    job_id: str | None = None,
) -> Optimization:
    """Solve and store one optimization (an infeasible one too: its report is the answer)."""
    if method not in METHODS:
        raise ValidationError({"method": f"unknown method {method!r}; one of {', '.join(METHODS)}"})
    row = Optimization(
        portfolio=portfolio,
        method=method,
        estimator=estimator or {},
        constraints=constraints or {},
        params=params or {},
        universe=universe_of(portfolio, universe),
        window_start=window_start,
        window_end=window_end,
        lookback=lookback,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    _compute(row, job_id, user=user)
    row.lookback = None  # the stored window is the one the data covered
    row.save()
    return row


@transaction.atomic
def optimization_rerun(*, optimization: Optimization, user=None) -> Optimization:
    """Solve a stored optimization again on its universe, window and constraints; a new row. When
    the returns differ from the first run's (a late or corrected bar), a note says so."""
    row = Optimization(
        portfolio=optimization.portfolio,
        method=optimization.method,
        estimator=optimization.estimator,
        constraints=optimization.constraints,
        params=optimization.params,
        universe=optimization.universe,
        window_start=optimization.window_start,
        window_end=optimization.window_end,
        rerun_of=optimization,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    _compute(row, user=user, pins=_pins(optimization))
    if row.inputs_fingerprint != optimization.inputs_fingerprint:
        row.notes = [*row.notes, f"the returns differ from those of optimization {optimization.pk}"]
    row.save()
    return row


@transaction.atomic
def optimization_frontier(*, optimization: Optimization, points: int = FRONTIER_POINTS) -> dict:
    """The efficient frontier over the stored optimization's inputs and constraints, computed once
    and kept (an optimization with method "frontier" has it already)."""
    if optimization.frontier and len(optimization.frontier["points"]) == points:
        return optimization.frontier
    inputs = inputs_load(
        optimization.portfolio,
        list(optimization.universe),
        start=optimization.window_start,
        end=optimization.window_end,
    )
    rf = float(optimization.params.get("risk_free_rate", 0.0))
    est, _ = estimates_load(
        inputs, optimization.estimator, rf, pinned_factor=_pins(optimization).get("factor")
    )
    c = constraints_from_body(optimization.constraints, inputs, est.assets)
    try:
        frontier = opt.efficient_frontier(est.mu, est.cov, c, points=points, risk_free_rate=rf)
    except ValueError as exc:
        raise ValidationError({"constraints": str(exc)}) from exc
    if isinstance(frontier, opt.Infeasible):
        raise ValidationError({"constraints": f"no frontier: {frontier.message}"})
    optimization.frontier = frontier_document(frontier, [inputs.symbols[i] for i in est.assets])
    optimization.save(update_fields=["frontier"])
    return optimization.frontier
