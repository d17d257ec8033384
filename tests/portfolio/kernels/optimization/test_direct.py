"""Plain QPs sent straight to OSQP (qp.py, direct.py, checks.py): the same weights as PyPortfolioOpt
on the same problems (to 1e-4), every constraint holding, the fallback to Clarabel when OSQP fails or
its answer is rejected (and said so), warm starts along the frontier and from given weights."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from apps.portfolio.kernels.optimization import (
    Constraints,
    SolverSpec,
    checks,
    direct,
    efficient_frontier,
    efficient_return,
    max_utility,
    min_variance,
)
from apps.portfolio.kernels.optimization.problem import violations
from apps.portfolio.kernels.optimization.qp import QP, Objective, build
from tests.portfolio.kernels.optimization.checks import assert_holds
from tests.portfolio.kernels.optimization.test_mean_variance import ATOL, _pypfopt, _w

pytestmark = pytest.mark.filterwarnings("ignore:Solution may be inaccurate:UserWarning")

CAPS = {"Tech": (None, 0.15), "Health": (0.25, 0.4), "Energy": (None, 0.1)}


def _only_osqp(result):
    assert result.solver == "OSQP", result.attempts
    assert [(a.solver, a.status) for a in result.attempts] == [("OSQP", "optimal")]


@pytest.mark.parametrize(
    "case",
    ["min_volatility", "efficient_return", "max_utility", "turnover_costs", "long_short_gross"],
)
def test_the_direct_path_equals_pypfopt_and_keeps_every_constraint(sp500, case):
    w0 = np.full(20, 0.05)
    capped = dict(upper=0.15, sectors=sp500.sectors, sector_caps=CAPS)
    ref_caps = dict(bounds=(0, 0.15), sectors=sp500.sectors, caps=CAPS)
    if case == "min_volatility":
        c = Constraints(**capped)
        ours, theirs = min_variance(sp500.cov, c), _pypfopt(sp500, **ref_caps).min_volatility()
    elif case == "efficient_return":
        c = Constraints(**capped)
        ours = efficient_return(sp500.mu, sp500.cov, 0.2, c)
        theirs = _pypfopt(sp500, **ref_caps).efficient_return(0.2)
    elif case == "max_utility":
        c = Constraints(**capped)
        ours, theirs = (
            max_utility(sp500.mu, sp500.cov, 4.0, c),
            _pypfopt(sp500, **ref_caps).max_quadratic_utility(4.0),
        )
    elif case == "turnover_costs":
        c = Constraints(current_weights=w0, max_turnover=0.3, transaction_costs=0.002)
        ours = min_variance(sp500.cov, c)
        theirs = _pypfopt(sp500, w0=w0, cost=0.002, turnover=0.3).min_volatility()
    else:
        c = Constraints(long_only=False, lower=-0.3, upper=0.5, gross_leverage=1.6)
        ours = efficient_return(sp500.mu, sp500.cov, 0.3, c)
        theirs = _pypfopt(sp500, bounds=(-0.3, 0.5), gross=1.6).efficient_return(0.3)
    _only_osqp(ours)
    w = assert_holds(ours, c)
    np.testing.assert_allclose(w, _w(theirs), atol=ATOL)
    # the kernel's own check, independent of the QP rows, finds nothing broken to 1e-9
    assert violations(c, w, tol=1e-9) == []


def test_the_reported_objective_is_the_methods_own(sp500):
    c = Constraints(current_weights=np.full(20, 0.05), transaction_costs=0.01)
    result = max_utility(sp500.mu, sp500.cov, 4.0, c)
    _only_osqp(result)
    w = result.weights
    utility = sp500.mu @ w - 0.01 * np.abs(w - 0.05).sum() - 2.0 * w @ sp500.cov @ w
    assert result.objective == pytest.approx(utility, rel=1e-9)
    assert result.setup_seconds > 0 and result.solve_seconds > 0


def test_when_osqp_fails_clarabel_answers_and_the_attempts_say_so(sp500, monkeypatch):
    monkeypatch.setattr(direct, "STAGES", ({"eps_abs": 1e-5, "eps_rel": 1e-5, "max_iter": 1},))
    monkeypatch.setitem(direct.SETTINGS, "polishing", False)
    c = Constraints(upper=0.15, sectors=sp500.sectors, sector_caps=CAPS)
    result = min_variance(sp500.cov, c)
    assert [(a.solver, a.status) for a in result.attempts] == [
        ("OSQP", "user_limit"),
        ("CLARABEL", "optimal"),
    ]
    assert result.solver == "CLARABEL" and result.status == "optimal"
    np.testing.assert_allclose(
        assert_holds(result, c),
        _w(_pypfopt(sp500, bounds=(0, 0.15), sectors=sp500.sectors, caps=CAPS).min_volatility()),
        atol=ATOL,
    )


def test_an_answer_failing_the_checks_is_rejected_and_the_chain_goes_on(sp500, monkeypatch):
    monkeypatch.setattr(direct, "rejection", lambda qp, x, y: "constraint violation 1e-06 > 1e-09")
    result = efficient_return(sp500.mu, sp500.cov, 0.2)
    first = result.attempts[0]
    assert (first.solver, first.status, first.error) == (
        "OSQP",
        "rejected",
        "constraint violation 1e-06 > 1e-09",
    )
    assert [a.solver for a in result.attempts[1:]] == ["CLARABEL"] and result.solver == "CLARABEL"
    np.testing.assert_allclose(
        assert_holds(result, Constraints()), _w(_pypfopt(sp500).efficient_return(0.2)), atol=ATOL
    )


def test_a_stated_chain_is_followed_as_stated(sp500):
    result = min_variance(sp500.cov, solvers=(SolverSpec("CLARABEL"),))
    assert [a.solver for a in result.attempts] == ["CLARABEL"]


def test_an_infeasible_qp_still_names_its_conflict(sp500):
    result = min_variance(sp500.cov, Constraints(upper=0.01, names=sp500.names))
    assert result.attempts[0].solver == "OSQP" and result.attempts[0].status == "infeasible"
    assert "sum of weights = 1" in result.conflict


def test_the_frontier_is_one_warm_started_osqp_object(sp500):
    c = Constraints(upper=0.2, sectors=sp500.sectors, sector_caps=CAPS)
    frontier = efficient_frontier(sp500.mu, sp500.cov, c, points=8)
    # the top point (the highest return the constraints allow: the LP's optimal face, degenerate
    # for ADMM) goes to Clarabel through cvxpy
    assert [p.solver for p in frontier.points] == ["OSQP"] * 7 + ["CLARABEL"]
    # the first point starts from the min-variance portfolio, every later one from its neighbour
    assert frontier.warm_started_points == 7
    assert all(p.attempts[0].warm_start for p in frontier.points[:7])
    # setup (the matrices and OSQP's factorization) is counted once, on the first point
    assert frontier.points[0].setup_seconds > 0 and frontier.points[1].setup_seconds == 0
    cold = efficient_frontier(sp500.mu, sp500.cov, c, points=8, solvers=(SolverSpec("CLARABEL"),))
    assert cold.warm_started_points == 0
    # the same curve as the cvxpy path; weights to 1e-4 only, as the objective is flat along some
    # directions (the min-variance end differs by 1e-5 between two certified optima)
    np.testing.assert_allclose(frontier.volatilities, cold.volatilities, rtol=1e-7)
    np.testing.assert_allclose(frontier.weights, cold.weights, atol=ATOL)
    ref = dict(bounds=(0, 0.2), sectors=sp500.sectors, caps=CAPS)
    for k in (2, 6):
        theirs = _pypfopt(sp500, **ref).efficient_return(float(frontier.target_returns[k]))
        np.testing.assert_allclose(assert_holds(frontier.points[k], c), _w(theirs), atol=ATOL)


def test_a_warm_start_from_given_weights_gives_the_cold_answer(sp500):
    c = Constraints(upper=0.15, sectors=sp500.sectors, sector_caps=CAPS)
    cold = min_variance(sp500.cov, c)
    near = cold.weights + np.linspace(-0.01, 0.01, 20)  # a previous run's weights, not this optimum
    with direct.warm_start_from(near):
        warm = min_variance(sp500.cov, c)
        other_size = min_variance(sp500.cov[:10, :10])
    assert warm.attempts[0].warm_start and not cold.attempts[0].warm_start
    np.testing.assert_allclose(warm.weights, cold.weights, atol=1e-6)
    assert not other_size.attempts[0].warm_start  # a seed of the wrong size is ignored
    assert not min_variance(sp500.cov, c).attempts[0].warm_start  # only inside the block


def test_the_checks_certify_a_hand_worked_optimum():
    # min w1^2 + w2^2, w1 + w2 = 1, 0 <= w <= 1: w = (1/2, 1/2); 2 w_i + y_budget = 0 -> y = -1
    qp = build(Constraints(upper=1.0), 2, Objective(np.eye(2)))
    x, y = np.array([0.5, 0.5]), np.array([0.0, 0.0, -1.0])
    assert checks.rejection(qp, x, y) is None
    assert "constraint violation" in checks.rejection(qp, np.array([0.5, 0.5 + 1e-8]), y)
    assert "not stationary" in checks.rejection(qp, np.array([0.4, 0.6]), y)
    # stationary too, but with multipliers on rows that are not active (w_i <= 1 is slack)
    assert "inactive" in checks.rejection(qp, x, np.array([1.0, 1.0, -2.0]))


@pytest.mark.parametrize("seed", range(5))
def test_the_rows_hold_exactly_where_the_stated_constraints_do(seed):
    """The QP's rows against problem.violations (its own numpy reading of each constraint) on random
    weights, auxiliaries at their least values: both say broken or both say held."""
    rng = np.random.default_rng(seed)
    n = 12
    c = Constraints(
        long_only=False,
        lower=-0.2,
        upper=0.4,
        net_exposure=(0.5, 1.0),
        gross_leverage=1.5,
        sectors=[f"S{i % 3}" for i in range(n)],
        sector_caps={"S0": (0.1, 0.5), "S2": (None, 0.3)},
        current_weights=np.full(n, 1 / n),
        max_turnover=0.8,
        transaction_costs=0.001,
    )
    qp: QP = build(c, n, Objective(np.eye(n)))
    assert sp.issparse(qp.A) and qp.A.shape[1] == 3 * n  # w, g, s
    agree = 0
    for _ in range(300):
        w = rng.uniform(-0.25, 0.45, n) * rng.uniform(0.2, 1.5)
        x = qp.seed(w)
        rows_hold = checks.primal_violation(qp, x) <= 1e-12
        assert rows_hold == (violations(c, w, tol=1e-12) == []), w
        agree += rows_hold
    assert agree > 0  # some draws are feasible, so both answers were seen


@pytest.mark.parametrize(
    "constraints, conflict",
    [
        (
            Constraints(long_only=False, lower=[0.5] + [-0.2] * 19, upper=0.1),  # AAPL is the first name
            {"min weight AAPL >= 0.5", "max weight AAPL <= 0.1"},
        ),
        (Constraints(long_only=False, net_exposure=(1.0, 0.5)), {"net exposure >= 1", "net exposure <= 0.5"}),
        (
            Constraints(sector_caps={"Tech": (0.6, 0.2)}),
            {"sector floor Tech >= 0.6", "sector cap Tech <= 0.2"},
        ),
    ],
)
def test_a_row_with_crossed_bounds_skips_osqp_and_is_named(sp500, constraints, conflict):
    """OSQP refuses l > u in its data validation; the problem goes to cvxpy, which names it."""
    import dataclasses

    c = dataclasses.replace(constraints, names=sp500.names, sectors=sp500.sectors)
    result = min_variance(sp500.cov, c)
    assert result.attempts[0].solver == "OSQP" and result.attempts[0].status == "skipped"
    assert conflict <= set(result.conflict)
