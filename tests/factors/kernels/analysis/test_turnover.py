"""quantile_turnover and rank_autocorrelation against alphalens and by hand."""

from __future__ import annotations

import numpy as np
import pytest

from apps.factors.kernels.analysis import (
    clean_factor,
    forward_returns,
    quantile_turnover,
    rank_autocorrelation,
)
from tests.factors.kernels.analysis.conftest import HORIZONS, TIED_DATE

RTOL = 1e-10


@pytest.fixture(scope="module")
def clean(panel):
    return clean_factor(panel.factor, forward_returns(panel.prices, HORIZONS), groups=panel.groups)


@pytest.mark.parametrize("period", [1, 5, 10])
def test_quantile_turnover_equals_alphalens(panel, factor_data, clean, period):
    import alphalens.performance as ap

    ours = quantile_turnover(clean.buckets, period)
    for q in range(1, 6):
        theirs = ap.quantile_turnover(factor_data["factor_quantile"], q, period)
        # alphalens's series stops at its last date (10 before the end); ours runs to T with NaN
        np.testing.assert_allclose(ours[q - 1], panel.by_date(theirs), rtol=RTOL, atol=0)
    # the dropped date has no names: NaN there and `period` rows later
    assert np.isnan(ours[:, TIED_DATE]).all() and np.isnan(ours[:, TIED_DATE + period]).all()


@pytest.mark.parametrize("period", [1, 5, 10])
def test_rank_autocorrelation_equals_alphalens(panel, factor_data, clean, period):
    import alphalens.performance as ap

    ours = rank_autocorrelation(clean.factor, period)
    theirs = ap.factor_rank_autocorrelation(factor_data, period)
    np.testing.assert_allclose(ours, panel.by_date(theirs), rtol=RTOL, atol=1e-15)
    assert np.nanmean(ours) < 0.9 and np.isfinite(ours[period + 1])


def test_quantile_turnover_hand_worked():
    buckets = np.array([[1, 1, 2, 2], [1, 2, 1, 2], [2, 2, 1, 1], [0, 0, 0, 0], [1, 1, 2, 2]])
    out = quantile_turnover(buckets, 1)
    assert np.isnan(out[:, 0]).all()
    np.testing.assert_allclose(out[0, 1:3], [0.5, 0.5])  # q1: {0,2} vs {0,1}: 1 new of 2; {2,3} vs {0,2}: 1
    np.testing.assert_allclose(out[1, 1:3], [0.5, 0.5])  # q2: {1,3} vs {2,3}: 1 of 2; {0,1} vs {1,3}: 1 of 2
    assert np.isnan(out[:, 3]).all() and np.isnan(out[:, 4]).all()  # empty now / empty before


def test_rank_autocorrelation_hand_worked_no_reranking():
    factor = np.array([[1.0, 2.0, 3.0, 4.0], [10.0, 30.0, 20.0, np.nan], [5.0, 5.0, 5.0, 5.0]])
    out = rank_autocorrelation(factor, 1)
    # row 1 ranks (1, 3, 2) against row 0 ranks (1, 2, 3) on the three common names -> 0.5;
    # re-ranking would not change it here, but the rank of row 0 keeps 4 names: ranks 1..4 stay 1..3
    assert np.isnan(out[0])
    assert out[1] == pytest.approx(0.5)
    assert np.isnan(out[2])  # constant factor
    shifted = np.array([[1.0, 2.0, 3.0, 100.0], [1.0, 3.0, 2.0, np.nan]])
    # without re-ranking, x = (1, 2, 3) from a 4-name date, y = (1, 3, 2): still 0.5
    assert rank_autocorrelation(shifted, 1)[1] == pytest.approx(0.5)
    skewed = np.array([[4.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, np.nan]])
    # day 0 ranks (4, 1, 2) on the common names (not re-ranked to 3, 1, 2): corr with (1, 2, 3)
    x, y = np.array([4.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0])
    assert rank_autocorrelation(skewed, 1)[1] == pytest.approx(np.corrcoef(x, y)[0, 1])
