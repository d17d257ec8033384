"""forward_returns, complete_cases and clean_factor against alphalens's own cleaning."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest

from apps.factors.kernels.analysis import clean_factor, complete_cases, forward_returns
from tests.factors.kernels.analysis.conftest import HORIZONS, TIED_DATE, alphalens_factor_data


def _alphalens_forward(panel, filter_zscore):
    import alphalens.utils as au

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fr = au.compute_forward_returns(
            panel.factor_series(), panel.price_frame(), HORIZONS, filter_zscore=filter_zscore
        )
    return np.stack([panel.to_panel(fr[c]) for c in au.get_forward_returns_columns(fr.columns)])


def test_forward_returns_equal_alphalens_bit_for_bit(panel):
    ours = forward_returns(panel.prices, HORIZONS)
    theirs = _alphalens_forward(panel, None)
    np.testing.assert_array_equal(ours, theirs)
    assert np.isnan(ours[2, -10:]).all() and not np.isnan(ours[2, -11]).all()


def test_forward_returns_zscore_filter_equals_alphalens(panel):
    prices = panel.prices.copy()
    prices[60, 7] = prices[59, 7] * 4  # a spike: two outlier returns around it
    spiked = type(panel)(panel.dates, panel.assets, prices, panel.factor, panel.sectors, panel.groups)
    ours = forward_returns(prices, HORIZONS, filter_zscore=3)
    theirs = _alphalens_forward(spiked, 3)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=0)
    assert np.isnan(ours[0, 59, 7])  # the filter did remove the spike
    assert np.isnan(ours).sum() > np.isnan(forward_returns(prices, HORIZONS)).sum()


def test_forward_returns_hand_worked_gaps():
    prices = np.array([[np.nan, 10.0], [2.0, 11.0], [np.nan, np.nan], [3.0, 12.1]])
    fwd = forward_returns(prices, (1, 2))
    # column 0: leading NaN stays, the gap at row 2 is forward-filled with 2.0
    np.testing.assert_allclose(fwd[0, :, 0], [np.nan, 0.0, 0.5, np.nan])
    np.testing.assert_allclose(fwd[1, :, 0], [np.nan, 0.5, np.nan, np.nan])
    np.testing.assert_allclose(fwd[0, :, 1], [0.1, 0.0, 0.1, np.nan])
    np.testing.assert_allclose(fwd[1, :, 1], [0.1, 0.1, np.nan, np.nan])


def test_clean_factor_keeps_alphalens_rows_and_buckets(panel, factor_data):
    fwd = forward_returns(panel.prices, HORIZONS)
    clean = clean_factor(panel.factor, fwd, groups=panel.groups)
    ours = pd.Series(clean.buckets[clean.keep], index=_keep_index(panel, clean.keep))
    assert ours.index.equals(factor_data.index)
    np.testing.assert_array_equal(ours.to_numpy(), factor_data["factor_quantile"].to_numpy())
    # the tied date is gone from alphalens entirely, and so from our sample
    assert panel.dates[TIED_DATE] not in factor_data.index.get_level_values("date")
    assert not clean.keep[TIED_DATE].any()
    assert np.isfinite(panel.factor[TIED_DATE]).sum() > 30


def test_clean_factor_binning_by_group_matches_alphalens(panel):
    theirs = alphalens_factor_data(panel, binning_by_group=True)
    fwd = forward_returns(panel.prices, HORIZONS)
    clean = clean_factor(panel.factor, fwd, groups=panel.groups, binning_by_group=True)
    ours = pd.Series(clean.buckets[clean.keep], index=_keep_index(panel, clean.keep))
    assert ours.index.equals(theirs.index)
    np.testing.assert_array_equal(ours.to_numpy(), theirs["factor_quantile"].to_numpy())


def test_complete_cases_needs_every_horizon_and_a_group():
    factor = np.array([[1.0, 2.0, np.inf, 4.0]])
    fwd = np.array([[[0.1, 0.1, 0.1, 0.1]], [[0.1, np.nan, 0.1, 0.1]]])
    groups = np.array([[0, 0, 0, -1]])
    np.testing.assert_array_equal(complete_cases(factor, fwd), [[True, False, False, True]])
    np.testing.assert_array_equal(complete_cases(factor, fwd, groups), [[True, False, False, False]])


def test_clean_factor_max_loss_zero_raises_in_alphalens_where_we_return_zero(panel):
    """alphalens with max_loss=0 raises on the tied date; our kernel never raises, it reports 0."""
    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(ValueError, match="Bin edges"):
        alphalens_factor_data(panel, max_loss=0)
    fwd = forward_returns(panel.prices, HORIZONS)
    assert not clean_factor(panel.factor, fwd).keep[TIED_DATE].any()


def _keep_index(panel, keep):
    t_idx, n_idx = np.nonzero(keep)
    return pd.MultiIndex.from_arrays(
        [panel.dates[t_idx], np.asarray(panel.assets)[n_idx]], names=["date", "asset"]
    )
