"""The solver fallback chain (each attempt recorded), the MIP solvers on cardinality and minimum
positions (against brute force over every support), and the stated heuristic."""

from __future__ import annotations

import itertools
import warnings

import cvxpy as cp
import numpy as np
import pytest
from pypfopt import EfficientFrontier

from apps.portfolio.kernels.optimization import (
    Constraints,
    SolverSpec,
    efficient_risk,
    max_sharpe,
    max_utility,
    min_cvar,
    min_variance,
)
from tests.portfolio.kernels.optimization.checks import assert_holds

TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}
BROKEN_CLARABEL = SolverSpec("CLARABEL", options={"max_iter": 1})


def _pypfopt_min_vol(cov, bounds=(0, 1)) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ef = EfficientFrontier(None, cov, weight_bounds=bounds, solver="CLARABEL", solver_options=TIGHT)
        return np.array(list(ef.min_volatility().values()))


def test_a_failing_first_solver_falls_back_to_osqp_and_says_so(sp500):
    result = min_variance(sp500.cov, solvers=(BROKEN_CLARABEL, SolverSpec("OSQP"), SolverSpec("SCS")))
    w = assert_holds(result, Constraints())
    assert [(a.solver, a.status) for a in result.attempts] == [
        ("CLARABEL", "user_limit"),
        ("OSQP", "optimal"),
    ]
    assert result.solver == "OSQP" and result.solve_seconds > 0
    np.testing.assert_allclose(w, _pypfopt_min_vol(sp500.cov), atol=1e-4)


def test_a_conic_problem_skips_osqp_and_lands_on_scs(sp500):
    result = efficient_risk(
        sp500.mu, sp500.cov, 0.2, solvers=(BROKEN_CLARABEL, SolverSpec("OSQP"), SolverSpec("SCS"))
    )
    assert [a.status for a in result.attempts] == ["user_limit", "skipped", "optimal"]
    assert result.attempts[1].error == "OSQP solves only LPs and QPs"
    assert result.solver == "SCS"
    reference = efficient_risk(sp500.mu, sp500.cov, 0.2)
    np.testing.assert_allclose(assert_holds(result, Constraints()), reference.weights, atol=1e-4)


def test_a_solver_error_is_recorded_and_the_chain_goes_on(sp500):
    result = min_variance(sp500.cov, solvers=(SolverSpec("NO_SUCH_SOLVER"), SolverSpec("CLARABEL")))
    assert result.attempts[0].status == "error" and "NO_SUCH_SOLVER" in result.attempts[0].error
    assert result.solver == "CLARABEL" and result.status == "optimal"


def test_when_every_solver_fails_the_result_says_so_without_weights(sp500):
    result = min_variance(sp500.cov, solvers=(BROKEN_CLARABEL,))
    assert not result.ok and result.status == "user_limit" and result.solver is None
    assert np.isnan(result.weights).all()


def _best_support(cov, k, lower=0.0, upper=1.0):
    """Brute force: the least-variance portfolio over every support of at most k names, each held
    between `lower` and `upper` (PyPortfolioOpt solves each support)."""
    n = cov.shape[0]
    best, best_w = np.inf, None
    for size in range(1, k + 1):
        for support in itertools.combinations(range(n), size):
            idx = list(support)
            if size * upper < 1 - 1e-12 or size * lower > 1 + 1e-12:
                continue
            w = _pypfopt_min_vol(cov[np.ix_(idx, idx)], bounds=(lower, upper))
            var = w @ cov[np.ix_(idx, idx)] @ w
            if var < best:
                best, best_w = var, np.zeros(n)
                best_w[idx] = w
    return best_w


def test_cardinality_by_the_mip_solver_equals_brute_force(small_market):
    cov = small_market.cov[:8, :8]
    c = Constraints(max_names=3)
    result = min_variance(cov, c)
    w = assert_holds(result, c)
    assert result.solver == "SCIP" and result.mip_gap == pytest.approx(0.0, abs=1e-6)
    assert (w > 0).sum() == 3  # the unconstrained optimum holds more, so the cap binds
    assert (min_variance(cov).weights > 1e-6).sum() > 3
    np.testing.assert_allclose(w, _best_support(cov, 3), atol=1e-4)


def test_min_position_with_cardinality_equals_brute_force(small_market):
    cov = small_market.cov[:8, :8]
    c = Constraints(max_names=3, min_position=0.3, upper=0.6)
    w = assert_holds(min_variance(cov, c), c)
    np.testing.assert_allclose(w, _best_support(cov, 3, lower=0.3, upper=0.6), atol=1e-4)


def test_cardinality_of_an_lp_goes_to_highs(small_market):
    c = Constraints(max_names=2)
    result = min_cvar(small_market.returns[:, :6], c)
    assert_holds(result, c)
    assert result.solver == "HIGHS" and result.mip_gap == pytest.approx(0.0, abs=1e-6)

    def cvar_on(idx):  # the same LP, written out, on one support
        x, a = cp.Variable(len(idx), nonneg=True), cp.Variable()
        r = small_market.returns[:, idx]
        u = cp.pos(-r @ x - a)
        p = cp.Problem(cp.Minimize(a + cp.sum(u) / (0.05 * r.shape[0])), [cp.sum(x) == 1])
        p.solve(solver="CLARABEL")
        return p.value

    best = min(cvar_on(list(s)) for k in (1, 2) for s in itertools.combinations(range(6), k))
    assert result.objective == pytest.approx(best, rel=1e-6)


def test_a_ratio_objective_uses_the_stated_heuristic(small_market):
    c = Constraints(max_names=3, min_position=0.15)
    result = max_sharpe(small_market.mu, small_market.cov, c)
    w = assert_holds(result, c)
    assert any(
        n.startswith("min position / max names cannot be a MIP here (a ratio objective)")
        for n in result.notes
    )
    assert any(n.startswith("cardinality / min position by heuristic") for n in result.notes)
    # its last step is the best portfolio on the support it kept (PyPortfolioOpt on those names)
    idx = np.flatnonzero(w > 0)
    ef = EfficientFrontier(small_market.mu[idx], small_market.cov[np.ix_(idx, idx)], solver="CLARABEL")
    np.testing.assert_allclose(w[idx], list(ef.max_sharpe().values()), atol=1e-4)


def test_without_a_finite_bound_the_heuristic_stands_in_for_the_mip(small_market):
    c = Constraints(long_only=False, max_names=4)
    result = min_variance(small_market.cov, c)
    assert_holds(result, c)
    assert "no finite bound on every weight" in result.notes[0]


def test_a_mip_without_a_solution_in_time_hands_over_to_the_heuristic(small_market, monkeypatch):
    from apps.portfolio.kernels.optimization.methods import pipeline
    from apps.portfolio.kernels.optimization.solvers import SolveOutcome, SolverAttempt

    def timed_out(problem, *, time_limit):
        attempt = SolverAttempt("SCIP", "time_limit", time_limit)
        return SolveOutcome("time_limit", None, (attempt,), 0.0, time_limit, None)

    monkeypatch.setattr(pipeline, "solve_mixed_integer", timed_out)
    c = Constraints(max_names=3)
    result = min_variance(small_market.cov, c, mip_time_limit=5)
    assert_holds(result, c)
    assert result.notes[0] == "the MIP solver returned no solution (time_limit) within 5s"
    assert result.notes[1].startswith("cardinality / min position by heuristic: solved the relaxation")
    assert result.attempts[0].solver == "SCIP" and result.attempts[1].solver == "CLARABEL"


def test_long_short_min_position_by_the_mip_beats_the_heuristic(small_market, monkeypatch):
    from apps.portfolio.kernels.optimization.methods import pipeline

    mu = small_market.mu - small_market.mu.mean()  # some names worth shorting
    c = Constraints(
        long_only=False, lower=-0.3, upper=0.5, gross_leverage=1.6, min_position=0.08, max_names=6
    )

    def utility(w):
        return mu @ w - 5.0 * w @ small_market.cov @ w

    mip = max_utility(mu, small_market.cov, 10.0, c)
    w = assert_holds(mip, c)
    assert mip.solver == "SCIP" and (w < -0.08 + 1e-9).any()  # shorts held, each at least 0.08 in size
    assert any(n.startswith("weights polished by CLARABEL on the") for n in mip.notes)
    monkeypatch.setattr(pipeline, "big_m", lambda *_: None)  # the MIP no longer applies
    heuristic = max_utility(mu, small_market.cov, 10.0, c)
    assert_holds(heuristic, c)
    assert "no finite bound" in heuristic.notes[0]
    assert utility(w) >= utility(heuristic.weights) - 1e-9


def test_a_mip_stopped_at_its_time_limit_competes_with_the_heuristic(small_market, monkeypatch):
    import dataclasses

    from apps.portfolio.kernels.optimization.methods import pipeline

    real = pipeline.solve_mixed_integer

    def stopped_early(problem, *, time_limit):  # the same solution, reported as a time-limited one
        return dataclasses.replace(
            real(problem, time_limit=time_limit), status="optimal_inaccurate", mip_gap=None
        )

    monkeypatch.setattr(pipeline, "solve_mixed_integer", stopped_early)
    cov = small_market.cov[:8, :8]
    c = Constraints(max_names=3)
    result = min_variance(cov, c, mip_time_limit=7)
    w = assert_holds(result, c, statuses=("optimal_inaccurate",))
    assert "the MIP stopped at its 7s time limit: the heuristic competes" in result.notes
    assert "mixed-integer solve by SCIP: optimal_inaccurate, no bound on the gap" in result.notes
    assert result.notes[-1] == "the MIP's portfolio is kept: the heuristic's is no better"
    np.testing.assert_allclose(w, _best_support(cov, 3), atol=1e-4)


def test_highs_prints_nothing_to_stdout():
    # HiGHS's library prints a banner to file descriptor 1 on its first solver object; it corrupted
    # `bench --json`. A fresh process (the banner comes once per process) must print only its own line.
    import subprocess
    import sys

    code = (
        "import cvxpy as cp\n"
        "from apps.portfolio.kernels.optimization.solvers import solve_chain\n"
        "x = cp.Variable(3)\n"
        "print(solve_chain(cp.Problem(cp.Minimize(cp.sum(x)), [x >= 0, cp.sum(x) == 1])).solver)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=".")
    assert out.stdout == "HIGHS\n"
