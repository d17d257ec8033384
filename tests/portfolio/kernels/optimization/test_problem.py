"""Constraints as data: the names the builder gives, that each named cvxpy constraint measures what its
name says (evaluated at given weights against numpy), homogenization, and the kernel's own check."""

from __future__ import annotations

import numpy as np
import pytest

from apps.portfolio.kernels.optimization import Constraints
from apps.portfolio.kernels.optimization.problem import big_m, formulate, violations

NAMES = ["AAPL", "MSFT", "JPM", "XOM"]
RICH = Constraints(
    lower=[0.05, 0.0, 0.0, 0.0],
    upper=0.6,
    sectors=["Tech", "Tech", "Fin", "Energy"],
    sector_caps={"Tech": (0.1, 0.5), "Energy": (None, 0.2)},
    industries=["HW", "SW", "Banks", "Oil"],
    industry_caps={"SW": (None, 0.3)},
    gross_leverage=1.2,
    current_weights=[0.25, 0.25, 0.25, 0.25],
    max_turnover=0.4,
    transaction_costs=0.001,
    min_position=0.02,
    max_names=3,
    names=NAMES,
)


def _values(form, w):
    """{name: (expression value, bound, sense)} of every named constraint at weights w."""
    form.w.value = np.asarray(w, dtype=float)
    out = {}
    for block in form.blocks:
        values = np.atleast_1d(block.expr.value)
        for name, v, b in zip(block.names, values, block.shown_values(), strict=True):
            out[name] = (float(v), float(b), block.sense)
    return out


def test_every_constraint_gets_a_readable_name():
    form = formulate(RICH, 4, integer=False)
    names = [n for b in form.blocks for n in b.names]
    assert names == [
        "long only MSFT",
        "long only JPM",
        "long only XOM",
        "min weight AAPL >= 0.05",
        "max weight AAPL <= 0.6",
        "max weight MSFT <= 0.6",
        "max weight JPM <= 0.6",
        "max weight XOM <= 0.6",
        "sum of weights = 1",
        "gross leverage <= 1.2",
        "sector cap Tech <= 0.5",
        "sector cap Energy <= 0.2",
        "sector floor Tech >= 0.1",
        "industry cap SW <= 0.3",
        "turnover <= 0.4",
    ]
    with_integer = formulate(RICH, 4, integer=True)
    extra = [n for b in with_integer.blocks for n in b.names if n not in names]
    assert extra == [f"min position {a} >= 0.02 if held" for a in NAMES] + ["max names <= 3"]
    assert with_integer.integer and not form.integer


def test_each_named_constraint_measures_what_its_name_says():
    w = np.array([0.3, 0.25, -0.05, 0.5])
    got = _values(formulate(RICH, 4, integer=False), w)
    expected = {
        "long only MSFT": 0.25,
        "min weight AAPL >= 0.05": 0.3,
        "max weight XOM <= 0.6": 0.5,
        "sum of weights = 1": w.sum(),
        "gross leverage <= 1.2": np.abs(w).sum(),
        "sector cap Tech <= 0.5": 0.55,
        "sector floor Tech >= 0.1": 0.55,
        "sector cap Energy <= 0.2": 0.5,
        "industry cap SW <= 0.3": 0.25,
        "turnover <= 0.4": np.abs(w - 0.25).sum(),
    }
    for name, value in expected.items():
        assert got[name][0] == pytest.approx(value, abs=1e-12), name
    broken = sorted(n for n, (v, b, s) in got.items() if (s == "<=" and v > b) or (s == ">=" and v < b))
    assert broken == [
        "long only JPM",
        "sector cap Energy <= 0.2",
        "sector cap Tech <= 0.5",
        "turnover <= 0.4",
    ]
    # the kernel's own check finds the same (it also counts names: 4 held > 3)
    assert sorted(violations(RICH, w)) == sorted([*broken, "max names <= 3"])


def test_transaction_costs_are_the_rate_times_the_traded_weight():
    form = formulate(RICH, 4, integer=False)
    form.w.value = np.array([0.4, 0.1, 0.3, 0.2])
    assert form.cost.value == pytest.approx(0.001 * (0.15 + 0.15 + 0.05 + 0.05))


def test_homogeneous_constraints_hold_for_y_exactly_when_they_hold_for_w():
    c = Constraints(upper=0.6, sectors=["Tech", "Tech", "Fin", "Energy"], sector_caps={"Tech": (0.1, 0.5)})
    form = formulate(c, 4, homogeneous=True)
    rng = np.random.default_rng(0)
    for _ in range(50):
        w = rng.dirichlet(np.ones(4))
        kappa = rng.uniform(0.1, 5.0)
        form.w.value, form.scale.value = kappa * w, kappa
        holds = all(con.value() for con in form.constraints())
        assert holds == (not violations(c, w, tol=1e-12))
        assert np.allclose(form.weights(), w)


def test_min_position_and_max_names_links_force_unheld_names_to_zero():
    form = formulate(RICH, 4, integer=True)
    held = next(v for v in form.structural[0].variables() if v.name() == "held_long")
    form.w.value = np.array([0.5, 0.0, 0.5, 0.0])
    held.value = np.array([1.0, 0.0, 1.0, 0.0])
    assert all(con.value() for con in form.structural)
    held.value = np.array([1.0, 0.0, 0.0, 0.0])  # JPM at 0.5 but not marked held
    assert not all(con.value() for con in form.structural)


def test_big_m_is_the_tightest_bound_the_constraints_imply():
    assert big_m(Constraints(), 3).tolist() == [1.0, 1.0, 1.0]  # long-only, fully invested
    assert big_m(Constraints(upper=[0.2, 0.5, 2.0]), 3).tolist() == [0.2, 0.5, 1.0]
    assert big_m(Constraints(long_only=False, gross_leverage=1.5), 2).tolist() == [1.5, 1.5]
    assert big_m(Constraints(long_only=False), 2) is None  # a short can be any size


def test_per_asset_inputs_must_match_the_universe():
    with pytest.raises(ValueError, match="sectors has 2 entries for 4 assets"):
        formulate(Constraints(sectors=["a", "b"], sector_caps={"a": (None, 0.5)}), 4)
    with pytest.raises(ValueError, match="sector caps name sectors no asset has"):
        formulate(Constraints(sectors=["a"] * 4, sector_caps={"b": (None, 0.5)}), 4)
