"""Row ranks by argsort (kernels/ranks.py) against pandas' rank(axis=1) and scipy's rankdata, bit for
bit, with NaNs, ties, ±inf, empty and all-NaN rows."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from apps.factors.kernels.ranks import percentile_rank_rows, rank_rows

nan, inf = np.nan, np.inf


def _pandas(values, pct=False):
    flat = values.reshape(-1, values.shape[-1])
    ranked = pd.DataFrame(flat).rank(axis=1, method="average", pct=pct, na_option="keep")
    return ranked.to_numpy().reshape(values.shape)


def _panel(seed, ties=False, nan_share=0.1, shape=(40, 23)):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    if ties:
        x = np.round(x * 2.0)
    x[rng.random(shape) < nan_share] = nan
    return x


CASES = {
    "continuous": _panel(0),
    "continuous no NaN": _panel(1, nan_share=0.0),
    "ties": _panel(2, ties=True),
    "ties no NaN": _panel(3, ties=True, nan_share=0.0),
    "mostly NaN": _panel(4, ties=True, nan_share=0.9),
    "three axes": _panel(5, ties=True, shape=(3, 7, 11)),
    "one column": _panel(6, shape=(9, 1)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_equals_pandas_rank_bit_for_bit(case):
    x = CASES[case]
    before = x.copy()
    np.testing.assert_array_equal(rank_rows(x), _pandas(x))
    np.testing.assert_array_equal(percentile_rank_rows(x), _pandas(x, pct=True))
    np.testing.assert_array_equal(x, before)


def test_equals_scipy_rankdata():
    x = CASES["ties"]
    np.testing.assert_array_equal(rank_rows(x), stats.rankdata(x, axis=1, nan_policy="omit"))


def test_hand_worked_rows():
    x = np.array(
        [
            [3.0, 1.0, 3.0, nan, 2.0],  # 3 and 3 share ranks 3 and 4
            [nan, nan, nan, nan, nan],
            [inf, nan, -inf, inf, 0.0],  # +inf is a value, not a missing cell; ties with +inf
            [5.0, 5.0, 5.0, 5.0, 5.0],
            [-0.0, 0.0, 1.0, nan, -1.0],  # -0.0 == 0.0
        ]
    )
    expected = np.array(
        [
            [3.5, 1.0, 3.5, nan, 2.0],
            [nan, nan, nan, nan, nan],
            [3.5, nan, 1.0, 3.5, 2.0],
            [3.0, 3.0, 3.0, 3.0, 3.0],
            [2.5, 2.5, 4.0, nan, 1.0],
        ]
    )
    np.testing.assert_array_equal(rank_rows(x), expected)
    np.testing.assert_array_equal(rank_rows(x), _pandas(x))
    np.testing.assert_array_equal(percentile_rank_rows(x)[0], [3.5 / 4, 0.25, 3.5 / 4, nan, 0.5])


def test_inf_without_nan_and_empty():
    x = np.array([[inf, 1.0, inf], [-inf, -inf, 2.0]])
    np.testing.assert_array_equal(rank_rows(x), _pandas(x))
    assert rank_rows(np.empty((0, 4))).shape == (0, 4)
    assert rank_rows(np.empty((3, 0))).shape == (3, 0)


def test_broadcast_and_read_only_inputs():
    row = np.array([2.0, nan, 1.0, 2.0])
    panel = np.broadcast_to(row, (5, 4))
    np.testing.assert_array_equal(rank_rows(panel), _pandas(np.array(panel)))
    x = CASES["ties"].copy()
    x.setflags(write=False)
    np.testing.assert_array_equal(rank_rows(x), _pandas(x))
