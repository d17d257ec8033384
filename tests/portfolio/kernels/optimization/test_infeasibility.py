"""Infeasible problems name the constraints that conflict (an irreducible set: each one's removal
makes the problem feasible) and the smallest relaxation that makes them feasible."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from apps.portfolio.kernels.optimization import (
    Constraints,
    OptimizationResult,
    efficient_return,
    max_sharpe,
    min_cvar,
    min_variance,
)
from tests.portfolio.kernels.optimization.checks import assert_holds, assert_infeasible

NAMES = ["AAPL", "MSFT", "JPM", "BAC", "XOM", "CVX"]
SECTORS = ["Tech", "Tech", "Financials", "Financials", "Energy", "Energy"]


@pytest.fixture(scope="module")
def cov(small_market):
    return small_market.cov[:6, :6]


# Financials must hold at least 0.5 + 0.4; full investment then leaves at most 0.1 for Tech,
# whose floor asks 0.2, unless an Energy name goes short to pay for it: long-only on XOM and CVX
# is part of the conflict. The caps and the Energy cap play no part.
CONFLICTED = Constraints(
    lower=[0.0, 0.0, 0.5, 0.4, 0.0, 0.0],
    upper=0.6,
    sectors=SECTORS,
    sector_caps={"Tech": (0.2, None), "Energy": (None, 0.3)},
    names=NAMES,
)
CONFLICT = (
    "min weight JPM >= 0.5",
    "min weight BAC >= 0.4",
    "sum of weights = 1",
    "sector floor Tech >= 0.2",
    "long only XOM",
    "long only CVX",
)


def test_sector_floor_min_weights_and_full_investment_are_named(cov):
    result = assert_infeasible(min_variance(cov, CONFLICTED))
    assert set(result.conflict) == set(CONFLICT) and len(result.conflict) == 6
    assert result.proven and result.attempts[0].status == "infeasible"
    assert result.message.startswith("infeasible: these constraints cannot hold together: ")


@pytest.mark.parametrize(
    "relaxed",
    [
        dict(lower=[0.0, 0.0, 0.0, 0.4, 0.0, 0.0]),
        dict(lower=[0.0, 0.0, 0.5, 0.0, 0.0, 0.0]),
        dict(budget=None),
        dict(sector_caps={"Energy": (None, 0.3)}),
        dict(long_only=False, lower=[0.0, 0.0, 0.5, 0.4, -1.0, 0.0]),
    ],
)
def test_dropping_any_one_named_constraint_makes_it_feasible(cov, relaxed):
    # the conflict is irreducible: checked through the public method, not the filter
    c = dataclasses.replace(CONFLICTED, **relaxed)
    if c.budget is None:
        c = dataclasses.replace(c, net_exposure=(None, None))
    assert isinstance(min_variance(cov, c), OptimizationResult)


def test_the_smallest_relaxation_makes_it_feasible(cov):
    result = assert_infeasible(min_variance(cov, CONFLICTED))
    # 0.1 has to give somewhere; the simplex moves one limit by exactly that (the budget and
    # long-only, which define the portfolio, cost 10 times more to move)
    assert len(result.relaxations) == 1
    relaxation = result.relaxations[0]
    assert relaxation.constraint in CONFLICT[:2] + CONFLICT[3:4]
    assert relaxation.slack == pytest.approx(0.1, abs=1e-7)
    fixes = {
        "min weight JPM >= 0.5": ("lower to 0.4", dict(lower=[0, 0, 0.4, 0.4, 0, 0])),
        "min weight BAC >= 0.4": ("lower to 0.3", dict(lower=[0, 0, 0.5, 0.3, 0, 0])),
        "sector floor Tech >= 0.2": (
            "lower to 0.1",
            dict(sector_caps={"Tech": (0.1, None), "Energy": (None, 0.3)}),
        ),
    }
    text, change = fixes[relaxation.constraint]
    assert relaxation.suggestion == f"{relaxation.constraint}: {text}"
    fixed = dataclasses.replace(CONFLICTED, **change)
    assert_holds(min_variance(cov, fixed), fixed)


def test_a_target_return_beyond_reach_is_named_with_what_limits_it(small_market, cov):
    mu = small_market.mu[:6]
    c = Constraints(upper=0.4, names=NAMES)
    result = assert_infeasible(efficient_return(mu, cov, 1.5, c))
    assert "target return >= 1.5" in result.conflict and "sum of weights = 1" in result.conflict
    target = next(r for r in result.relaxations if r.constraint == "target return >= 1.5")
    best = np.sort(mu)[::-1]
    reachable = 0.4 * best[0] + 0.4 * best[1] + 0.2 * best[2]  # the caps fill the best names
    assert target.suggestion == f"target return >= 1.5: lower to {reachable:.6g}"


def test_cardinality_against_caps_and_full_investment(cov):
    c = Constraints(max_names=2, upper=0.4, names=NAMES)
    result = assert_infeasible(min_variance(cov, c))
    assert set(result.conflict) == {
        "max names <= 2",
        "sum of weights = 1",
        *(f"max weight {a} <= 0.4" for a in NAMES),
    }
    relaxation = result.relaxations[0]
    assert len(result.relaxations) == 1 and relaxation.slack == pytest.approx(0.2, abs=1e-6)
    assert relaxation.constraint.startswith("max weight") and relaxation.suggestion.endswith("raise to 0.6")


def test_max_sharpe_with_no_return_above_the_risk_free_rate_names_that(small_market, cov):
    result = assert_infeasible(max_sharpe(small_market.mu[:6], cov, risk_free_rate=5.0))
    assert result.conflict == ("an expected return above the risk-free rate",)


def test_an_lp_method_names_its_conflict_too(small_market):
    c = Constraints(
        upper=0.1,
        names=[f"N{i}" for i in range(10)],
        sectors=["A"] * 5 + ["B"] * 5,
        sector_caps={"A": (0.6, None)},
    )
    result = assert_infeasible(min_cvar(small_market.returns, c))
    assert set(result.conflict) == {"sector floor A >= 0.6", *(f"max weight N{i} <= 0.1" for i in range(5))}
