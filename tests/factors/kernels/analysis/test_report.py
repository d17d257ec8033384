"""half_life on hand-worked decays; factor_report's decay equals ic_decay on the same sample."""

from __future__ import annotations

import math

import numpy as np

from apps.factors.kernels.analysis import complete_cases, forward_returns, ic_decay
from apps.factors.kernels.analysis.report import factor_report, half_life


def test_half_life_interpolates_the_crossing_by_hand():
    # 0.10 -> 0.08 -> 0.04: the ratio 0.8 at h=2, 0.4 at h=3; 0.5 lies 3/4 of the way: 2.75
    assert half_life([1, 2, 3], np.array([0.10, 0.08, 0.04])) == 2.75
    # a negative IC decays the same way; a NaN horizon in between is skipped: 1 + (1-0.5)/(1-0.25)*2
    assert math.isclose(half_life([1, 2, 3], np.array([-0.2, np.nan, -0.05])), 1 + 0.5 / 0.75 * 2)
    assert half_life([1, 2], np.array([-0.2, 0.1])) == 1 + 0.5 / 1.5  # a sign flip crosses
    assert math.isnan(half_life([1, 2, 3], np.array([0.1, 0.09, 0.08])))  # never halves
    assert math.isnan(half_life([1, 2], np.array([0.0, 0.1])))


def test_report_decay_is_ic_decay_on_the_cells_it_keeps():
    rng = np.random.default_rng(3)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (120, 12)), axis=0))
    factor = np.roll(prices, -2, axis=0) / prices + rng.normal(0, 0.01, prices.shape)  # peeks 2 bars ahead
    factor[-2:] = np.nan
    report = factor_report(factor, prices, horizons=(1, 4), quantiles=3)
    kept = np.where(report.kept, factor, np.nan)
    np.testing.assert_allclose(report.decay, ic_decay(kept, prices, horizons=range(1, 5)), rtol=1e-12)
    assert report.decay_horizons == (1, 2, 3, 4)
    fwd = forward_returns(prices, [1, 4])
    assert (report.kept <= complete_cases(factor, fwd)).all()
