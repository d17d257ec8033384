"""Stress kernels on hand-worked scenarios: instrument, sector, currency and factor shocks, short
positions, sparse books and historical replays with gaps."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from apps.risk.kernels.stress import historical_replay_shocks, instrument_shocks, stress_pnl

# Five instruments, base currency USD.
#   0 AAPL  TECH    USD  betas (market 1.2, rates 0.0)
#   1 MSFT  TECH    USD  betas (1.0, 0.0)
#   2 SAP   TECH    EUR  betas (0.8, 0.0)
#   3 SHEL  ENERGY  GBP  betas (0.5, 0.3)
#   4 TLT   (none)  USD  betas (-0.2, 2.0)
SECTORS = ["TECH", "TECH", "TECH", "ENERGY", None]
CURRENCIES = ["USD", "USD", "EUR", "GBP", "USD"]
BETAS = np.array([[1.2, 0.0], [1.0, 0.0], [0.8, 0.0], [0.5, 0.3], [-0.2, 2.0]])


def _scenario(**overrides):
    kwargs = {
        "by_instrument": {1: -0.25},
        "by_sector": {"TECH": -0.10, "ENERGY": 0.05},
        "by_currency": {"EUR": -0.05, "USD": 0.50},  # the USD entry is the base currency: ignored
        "sector_codes": SECTORS,
        "currency_codes": CURRENCIES,
        "factor_betas": BETAS,
        "factor_shocks": np.array([-0.02, 0.01]),
        "base_currency": "USD",
    }
    kwargs.update(overrides)
    return instrument_shocks(5, **kwargs)


def test_shocks_combine_instrument_sector_factor_and_currency():
    # AAPL: sector -0.10 + 1.2 × -0.02                          = -0.124
    # MSFT: instrument -0.25 replaces TECH, + 1.0 × -0.02       = -0.27
    # SAP:  -0.10 + 0.8 × -0.02 = -0.116; EUR -5 %: 0.884 × 0.95 - 1 = 0.8398 - 1 = -0.1602
    # SHEL: 0.05 + 0.5 × -0.02 + 0.3 × 0.01 = 0.05 - 0.01 + 0.003 = 0.043 (no GBP shock)
    # TLT:  no sector, -0.2 × -0.02 + 2.0 × 0.01 = 0.004 + 0.02  = 0.024
    np.testing.assert_allclose(_scenario(), [-0.124, -0.27, -0.1602, 0.043, 0.024], rtol=1e-12)


def test_stress_pnl_with_short_positions_dense_and_sparse():
    shocks = np.array([-0.124, -0.27, -0.1602, 0.043, 0.024])
    values = np.array(
        [
            [100_000.0, -50_000.0, 40_000.0, 0.0, 0.0],  # long AAPL, short MSFT, long SAP
            [0.0, 0.0, -20_000.0, 30_000.0, -60_000.0],  # short SAP, long SHEL, short TLT
        ]
    )
    # Book A: 100,000 × -0.124 = -12,400; -50,000 × -0.27 = +13,500; 40,000 × -0.1602 = -6,408
    #         total -12,400 + 13,500 - 6,408 = -5,308
    # Book B: -20,000 × -0.1602 = +3,204; 30,000 × 0.043 = +1,290; -60,000 × 0.024 = -1,440
    #         total 3,204 + 1,290 - 1,440 = 3,054
    expected_positions = np.array([[-12_400, 13_500, -6_408, 0, 0], [0, 0, 3_204, 1_290, -1_440]])
    per_position, totals = stress_pnl(values, shocks)
    np.testing.assert_allclose(per_position, expected_positions, atol=1e-8)
    np.testing.assert_allclose(totals, [-5_308, 3_054], atol=1e-8)

    sparse_positions, sparse_totals = stress_pnl(sparse.csr_matrix(values), shocks)
    assert sparse.issparse(sparse_positions)
    np.testing.assert_allclose(sparse_positions.toarray(), expected_positions, atol=1e-8)
    np.testing.assert_allclose(sparse_totals, [-5_308, 3_054], atol=1e-8)


def test_base_currency_shock_applies_to_books_in_another_base():
    # The same scenario seen from a EUR book: the USD +50 % now applies to the USD names,
    # and the EUR entry is ignored. AAPL: (1 - 0.124) × 1.5 - 1 = 1.314 - 1 = 0.314; SAP stays -0.116.
    shocks = _scenario(base_currency="EUR")
    assert shocks[0] == pytest.approx(0.314)
    assert shocks[2] == pytest.approx(-0.116)
    assert shocks[3] == pytest.approx(0.043)


def test_local_return_is_floored_at_minus_one_and_named_shocks_are_checked():
    # A beta of 60 on a -2 % market is -120 %: a price stops at zero, so the shock is -100 %.
    shocks = instrument_shocks(2, factor_betas=np.array([[60.0], [1.0]]), factor_shocks=np.array([-0.02]))
    np.testing.assert_allclose(shocks, [-1.0, -0.02])
    with pytest.raises(ValueError, match="at least -1"):
        instrument_shocks(2, by_instrument={0: -1.5})
    with pytest.raises(ValueError, match="outside"):
        instrument_shocks(2, by_instrument={2: -0.1})
    with pytest.raises(ValueError, match="sector_codes"):
        instrument_shocks(2, by_sector={"TECH": -0.1})
    with pytest.raises(ValueError, match="one entry per instrument"):
        instrument_shocks(2, by_currency={"EUR": -0.1}, currency_codes=["EUR"])
    with pytest.raises(ValueError, match="go together"):
        instrument_shocks(2, factor_betas=np.ones((2, 1)))


def test_empty_scenario_is_no_move():
    np.testing.assert_array_equal(instrument_shocks(3), np.zeros(3))


def test_historical_replay_shocks_with_gaps():
    nan = np.nan
    prices = np.array(
        [
            [100.0, nan, 50.0, nan, 0.0],
            [90.0, 20.0, 55.0, nan, 1.0],
            [80.0, 22.0, nan, nan, 2.0],
            [85.0, 25.0, nan, 7.0, 3.0],
        ]
    )
    shocks, missing = historical_replay_shocks(prices)
    # 0: 85 / 100 - 1 = -0.15
    # 1: first finite 20 (the window's first day is a holiday for it), last 25: 25/20 - 1 = 0.25
    # 2: 50 → 55 (last finite): +0.10
    # 3: one price only: cannot be replayed → 0, missing
    # 4: starts at 0: no return defined → 0, missing
    np.testing.assert_allclose(shocks, [-0.15, 0.25, 0.10, 0.0, 0.0], rtol=1e-12)
    np.testing.assert_array_equal(missing, [False, False, False, True, True])


def test_replay_feeds_stress_pnl():
    prices = np.array([[10.0, 40.0], [12.0, 30.0]])  # +20 %, -25 %
    shocks, _ = historical_replay_shocks(prices)
    _, totals = stress_pnl(np.array([[1_000.0, -400.0]]), shocks)
    # 1,000 × 0.20 + (-400) × (-0.25) = 200 + 100 = 300
    assert totals[0] == pytest.approx(300.0)
