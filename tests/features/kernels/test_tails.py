"""Tail panels: each column the instrument's own newest bars, NaN-padded; TA-Lib on the panel equals
TA-Lib on each whole series at the last bar, index outputs included once unpadded."""

from __future__ import annotations

import numpy as np
import talib

from apps.features.kernels.catalog import function_spec
from apps.features.kernels.tails import tail_panel, unpad_index
from apps.features.kernels.talib_batch import talib_compute


def test_columns_are_the_newest_bars_left_padded():
    panel, pad = tail_panel([np.arange(5.0), np.arange(2.0)], 3)
    np.testing.assert_array_equal(panel[:, 0], [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(panel[:, 1], [np.nan, 0.0, 1.0])
    assert list(pad) == [0, 1] and panel.flags.f_contiguous
    full, pad = tail_panel([np.arange(5.0), np.arange(2.0)], None)
    assert full.shape == (5, 2) and list(pad) == [0, 3]


def test_values_at_the_last_bar_equal_talib_on_each_whole_series():
    rng = np.random.default_rng(3)
    series = [100 + np.cumsum(rng.normal(size=n)) for n in (400, 250, 31)]
    panel, pad = tail_panel(series, None)
    got = talib_compute(function_spec("SMA"), {"timeperiod": 30}, {"close": panel})["real"][-1]
    np.testing.assert_allclose(got, [talib.SMA(s, 30)[-1] for s in series], rtol=1e-12)
    idx = talib_compute(function_spec("MAXINDEX"), {"timeperiod": 30}, {"close": panel})["integer"][-1:]
    expected = [talib.MAXINDEX(s, 30)[-1] for s in series]
    np.testing.assert_array_equal(unpad_index(idx, pad, np.zeros(3))[0], expected)
    assert not np.array_equal(idx[0], expected)  # the padding must be taken off
