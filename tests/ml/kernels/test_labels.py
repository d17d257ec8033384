"""Forward-return labels against pandas' shift and a hand-worked panel; stacked labels feed purged
validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.ml.kernels.labels import forward_returns, labels_stack
from apps.ml.kernels.validation import purged_kfold_splits

TIMES = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
CLOSE = pd.DataFrame(
    {"AAA": [100.0, 110.0, 99.0, 99.0, 120.0], "BBB": [10.0, np.nan, 12.0, 0.0, 15.0]}, index=TIMES
)


def test_hand_worked_panel():
    lab = forward_returns(CLOSE, 2)
    # AAA: 99/100 - 1, 99/110 - 1, 120/99 - 1, then unknown; BBB: 12/10 - 1, then a missing close,
    # 15/12 - 1, then a close of 0 (not a price) and the unknown future.
    expected = pd.DataFrame(
        {
            "AAA": [-0.01, 99 / 110 - 1, 120 / 99 - 1, np.nan, np.nan],
            "BBB": [0.2, np.nan, 0.25, np.nan, np.nan],
        },
        index=TIMES,
    )
    pd.testing.assert_frame_equal(lab.values, expected, rtol=1e-14)
    assert lab.t1.tolist()[:3] == list(TIMES[2:]) and lab.t1.iloc[3:].isna().all()
    stacked = labels_stack(lab)
    assert str(stacked["t0"].dtype) == str(stacked["t1"].dtype) == str(TIMES.dtype)
    assert stacked["instrument"].tolist() == ["AAA", "BBB", "AAA", "AAA", "BBB"]
    assert stacked["t0"].tolist() == [TIMES[0], TIMES[0], TIMES[1], TIMES[2], TIMES[2]]
    assert stacked["t1"].tolist() == [TIMES[2], TIMES[2], TIMES[3], TIMES[4], TIMES[4]]
    np.testing.assert_allclose(stacked["label"], [-0.01, 0.2, 99 / 110 - 1, 120 / 99 - 1, 0.25], rtol=1e-14)


@pytest.mark.parametrize("h", [1, 5, 21])
def test_equal_to_pandas_shift(h):
    rng = np.random.default_rng(h)
    times = pd.bdate_range("2023-01-02", periods=300, tz="UTC")
    close = pd.DataFrame(100 * np.exp(np.cumsum(0.01 * rng.standard_normal((300, 8)), axis=0)), index=times)
    close.iloc[rng.random(close.shape) < 0.05] = np.nan
    simple = forward_returns(close, h)
    pd.testing.assert_frame_equal(simple.values, close.shift(-h) / close - 1, rtol=1e-14)
    log = forward_returns(close, h, kind="log")
    pd.testing.assert_frame_equal(log.values, np.log(close.shift(-h) / close), rtol=1e-14)
    pd.testing.assert_series_equal(simple.t1, close.index.to_series().shift(-h).rename("t1"))


def test_stacked_labels_feed_purged_validation():
    times = pd.bdate_range("2023-01-02", periods=60, tz="UTC")
    close = pd.DataFrame(np.linspace(100, 160, 60)[:, None] * np.array([1.0, 2.0, 3.0]), index=times)
    s = labels_stack(forward_returns(close, 5))
    assert len(s) == 55 * 3
    t0, t1 = s["t0"].to_numpy(), s["t1"].to_numpy()
    for train, test in purged_kfold_splits(s["t0"], s["t1"], n_splits=5, embargo_pct=0.01):
        assert not ((t0[train] <= t1[test].max()) & (t1[train] >= t0[test].min())).any()


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="horizon"):
        forward_returns(CLOSE, 0)
    with pytest.raises(ValueError, match="kind"):
        forward_returns(CLOSE, 1, kind="excess")
    with pytest.raises(ValueError, match="sorted"):
        forward_returns(CLOSE.iloc[::-1], 1)
