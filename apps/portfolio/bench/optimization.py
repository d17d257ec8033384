"""Optimization figures of `manage.py bench portfolio` on a synthetic factor-model market (seeded):

- minimum variance with per-asset bounds and sector caps, next to PyPortfolioOpt on the same
  covariance and constraints in the same run (largest weight difference and the time ratio), and
  the same problem through cvxpy and Clarabel (the path before OSQP was called directly);
- the same minimum variance started from the weights of a previous run (a re-run's warm start),
  next to the cold solve;
- maximum Sharpe (the homogeneous reformulation) and minimum CVaR (Rockafellar-Uryasev on the
  return scenarios) at the same size;
- an efficient frontier of 50 points (one OSQP object, warm-started point by point) next to the
  parametrized cvxpy problem solved by Clarabel per point;
- a cardinality-constrained minimum variance (at most 1/5 of the names) with its solver and MIP gap.
"""

from __future__ import annotations

import time

import numpy as np

from ..kernels.optimization import (
    Constraints,
    SolverSpec,
    direct,
    efficient_frontier,
    estimate,
    max_sharpe,
    min_cvar,
    min_variance,
)

SECTORS = 10
CVXPY = (SolverSpec("CLARABEL"), SolverSpec("SCS"))  # the chain through cvxpy, without OSQP first


def market(n_assets: int, n_days: int, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """(T, N) daily returns from 5 factors plus noise, and a sector per asset."""
    factors = rng.normal(0.0003, 0.01, size=(n_days, 5))
    loadings = rng.normal(0.8, 0.4, size=(5, n_assets)) / 5
    returns = factors @ loadings + rng.normal(0.0002, 0.015, size=(n_days, n_assets))
    sectors = [f"S{i % SECTORS}" for i in range(n_assets)]
    return returns, sectors


def _attempts(result) -> list[list]:
    """[solver, status, seconds] of every solver the chain tried (where the time went)."""
    return [[a.solver, a.status, round(a.seconds, 3)] for a in result.attempts]


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def figures(*, n_assets: int, n_days: int, frontier_points: int, mip_time_limit: float, rng) -> list[dict]:
    from .run import figure

    returns, sectors = market(n_assets, n_days, rng)
    est = estimate(returns, covariance="ledoit_wolf")
    upper = min(1.0, 5.0 / n_assets)  # room for the caps to bind
    caps = {s: (None, 0.12) for s in sorted(set(sectors))}
    c = Constraints(upper=upper, sectors=sectors, sector_caps=caps)
    ours, t_ours = _timed(lambda: min_variance(est.cov, c, mu=est.mu))

    def reference():
        from pypfopt import EfficientFrontier  # a dev dependency: the bench's reference only

        ef = EfficientFrontier(None, est.cov, weight_bounds=(0, upper), solver="CLARABEL")
        ef.add_sector_constraints(dict(enumerate(sectors)), {}, {s: v[1] for s, v in caps.items()})
        w = ef.min_volatility()
        return np.array([w[i] for i in range(n_assets)])

    ref, t_ref = _timed(reference)
    via_cvxpy, t_cvxpy = _timed(lambda: min_variance(est.cov, c, mu=est.mu, solvers=CVXPY))
    out = [
        {
            **figure(f"min_variance_{n_assets}_seconds", t_ours, "s", t_ref),
            "baseline_name": "PyPortfolioOpt min_volatility",
            "max_weight_difference": float(np.max(np.abs(ours.weights - ref))),
            "solver": ours.solver,
            "status": ours.status,
            "attempts": _attempts(ours),
            "cvxpy_clarabel_seconds": t_cvxpy,
            "max_weight_difference_cvxpy": float(np.max(np.abs(ours.weights - via_cvxpy.weights))),
        }
    ]
    # a re-run's seed: the last run's weights, here those of a slightly different window's answer
    previous = np.clip(ours.weights * rng.uniform(0.9, 1.1, n_assets), 0.0, upper)
    with direct.warm_start_from(previous / previous.sum()):
        warm, t_warm = _timed(lambda: min_variance(est.cov, c, mu=est.mu))
    out.append(
        {
            **figure(f"min_variance_{n_assets}_warm_seconds", t_warm, "s", t_ours),
            "baseline_name": "the same solve cold",
            "warm_start": warm.attempts[0].warm_start,
            "max_weight_difference": float(np.max(np.abs(warm.weights - ours.weights))),
        }
    )
    sharpe, t = _timed(lambda: max_sharpe(est.mu, est.cov, c))
    out.append(
        {**figure(f"max_sharpe_{n_assets}_seconds", t, "s"), "solver": sharpe.solver, "status": sharpe.status}
    )
    cvar, t = _timed(lambda: min_cvar(returns, c, beta=0.95, cov=est.cov, mu=est.mu))
    out.append(
        {
            **figure(f"min_cvar_{n_assets}_seconds", t, "s"),
            "scenarios": n_days,
            "solver": cvar.solver,
            "status": cvar.status,
            "attempts": _attempts(cvar),
        }
    )
    frontier, t = _timed(lambda: efficient_frontier(est.mu, est.cov, c, points=frontier_points))
    before, t_before = _timed(
        lambda: efficient_frontier(est.mu, est.cov, c, points=frontier_points, solvers=CVXPY)
    )
    out.append(
        {
            **figure(f"frontier_{frontier_points}_points_{n_assets}_seconds", t, "s", t_before),
            "baseline_name": "the parametrized cvxpy problem, Clarabel per point",
            "setup_seconds": frontier.setup_seconds,
            "solved_points": int(np.isfinite(frontier.volatilities).sum()),
            "warm_started_points": frontier.warm_started_points,
            "solvers": {s: [p.solver for p in frontier.points].count(s) for s in {"OSQP", "CLARABEL", "SCS"}},
            "max_volatility_difference": float(
                np.nanmax(np.abs(frontier.volatilities - before.volatilities))
            ),
        }
    )
    names = max(n_assets // 5, 2 * SECTORS)  # each sector capped at 0.12: at least 9 names are needed
    card = Constraints(upper=max(upper, 2.0 / names), sectors=sectors, sector_caps=caps, max_names=names)
    mip, t = _timed(lambda: min_variance(est.cov, card, mu=est.mu, mip_time_limit=mip_time_limit))
    out.append(
        {
            **figure(f"cardinality_{names}_of_{n_assets}_seconds", t, "s"),
            "solver": mip.solver,
            "status": mip.status,
            "mip_gap": mip.mip_gap,
            "names_held": int((np.abs(mip.weights) > 1e-9).sum()),
            "attempts": _attempts(mip),
            "notes": list(mip.notes),
        }
    )
    return out
