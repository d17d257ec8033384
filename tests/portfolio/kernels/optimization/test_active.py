"""Tracking-error-constrained active optimization against its closed form, and under constraints."""

from __future__ import annotations

import numpy as np
import pytest

from apps.portfolio.kernels.optimization import Constraints, max_active_return
from tests.portfolio.kernels.optimization.checks import assert_holds


def test_unconstrained_active_weights_equal_the_closed_form(sp500):
    # max mu'a s.t. a' S a <= te^2, 1'a = 0 (fully invested like the benchmark): by Lagrange,
    # a = k S^-1 (mu - g 1) with g = 1'S^-1 mu / 1'S^-1 1 and k setting the tracking error to te
    benchmark = np.linspace(1.0, 2.0, 20) / np.linspace(1.0, 2.0, 20).sum()
    te = 0.04
    c = Constraints(long_only=False)
    result = max_active_return(sp500.mu, sp500.cov, benchmark, te, c)
    inv = np.linalg.inv(sp500.cov)
    ones = np.ones(20)
    g = ones @ inv @ sp500.mu / (ones @ inv @ ones)
    a = inv @ (sp500.mu - g)
    a *= te / np.sqrt(a @ sp500.cov @ a)
    w = assert_holds(result, c)
    np.testing.assert_allclose(w - benchmark, a, atol=1e-5)
    assert any("tracking error 0.04 " in n for n in result.notes)


def test_long_only_active_portfolio_respects_the_budget_and_the_caps(sp500):
    benchmark = np.full(20, 0.05)
    c = Constraints(upper=0.12, sectors=sp500.sectors, sector_caps={"Tech": (None, 0.2)})
    result = max_active_return(sp500.mu, sp500.cov, benchmark, 0.03, c)
    w = assert_holds(result, c)
    active = w - benchmark
    assert np.sqrt(active @ sp500.cov @ active) == pytest.approx(0.03, abs=1e-7)
    assert sp500.mu @ active > 0
    # a looser budget cannot do worse
    looser = max_active_return(sp500.mu, sp500.cov, benchmark, 0.06, c)
    assert sp500.mu @ (looser.weights - benchmark) > sp500.mu @ active
