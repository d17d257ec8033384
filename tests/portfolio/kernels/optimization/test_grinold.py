"""Grinold's alpha = IC x volatility x z-score against a hand-worked case and scipy's Spearman
correlation date by date."""

import numpy as np
import pytest
from scipy import stats

from apps.portfolio.kernels.optimization.grinold import grinold_alpha, rank_ic, zscores


def test_a_hand_worked_alpha():
    # last scores 1, 2, 3 -> mean 2, sample std 1 -> z = -1, 0, 1; IC 0.1; vol 0.2, 0.3, 0.4
    factor = np.array([[5.0, 1.0, 3.0], [1.0, 2.0, 3.0]])
    g = grinold_alpha(factor, np.zeros_like(factor), np.array([0.2, 0.3, 0.4]), ic=0.1)
    np.testing.assert_allclose(g.alpha, [-0.02, 0.0, 0.04], atol=1e-15)
    assert g.ic == 0.1 and g.ic_dates == 0 and g.unscored.size == 0


def test_an_asset_without_a_score_gets_no_alpha_and_is_reported():
    factor = np.array([[1.0, 2.0, np.nan, 4.0]])
    g = grinold_alpha(factor, np.zeros_like(factor), np.ones(4), ic=0.5)
    assert g.unscored.tolist() == [2] and g.alpha[2] == 0.0
    np.testing.assert_allclose(g.scores[[0, 1, 3]], stats.zscore([1.0, 2.0, 4.0], ddof=1))


def test_the_ic_is_the_mean_daily_spearman_of_the_factor_against_the_next_return():
    rng = np.random.default_rng(3)
    factor = rng.normal(size=(40, 12))
    returns = 0.3 * np.vstack([np.zeros(12), factor[:-1]]) + rng.normal(size=(40, 12))
    factor[5, :10] = np.nan  # a date with two values is skipped; NaN cells drop out of their date
    returns[9, 3] = np.nan
    expected = []
    for t in range(39):
        ok = np.isfinite(factor[t]) & np.isfinite(returns[t + 1])
        if ok.sum() >= 3:
            expected.append(stats.spearmanr(factor[t, ok], returns[t + 1, ok]).statistic)
    ic, dates = rank_ic(factor, returns)
    assert dates == len(expected) == 38
    assert ic == pytest.approx(np.mean(expected), rel=1e-12)
    assert ic > 0.1  # the planted signal


def test_no_usable_cross_section_is_an_error():
    with pytest.raises(ValueError, match="fewer than two"):
        zscores(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="same value"):
        zscores(np.array([2.0, 2.0, 2.0]))
