"""Purged walk-forward and purged k-fold with embargo: hand-worked splits, scikit-learn's
TimeSeriesSplit / KFold when labels have no length, and, on random panels, a brute-force check
that no training label interval meets any test label interval and that the embargo is exact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold, TimeSeriesSplit

from apps.ml.kernels.validation import embargo_size, purged_kfold_splits, walk_forward_splits


def as_lists(splits):
    return [(train.tolist(), test.tolist()) for train, test in splits]


def random_panel(seed: int, n: int = 300):
    """Sorted times with ties (several instruments per date) and labels of 0 to 10 steps."""
    rng = np.random.default_rng(seed)
    t0 = np.sort(rng.integers(0, n // 3, n)).astype(float)
    t1 = t0 + rng.integers(0, 11, n)
    return t0, t1


def pairwise_overlap(t0, t1, train, test) -> np.ndarray:
    """(len(train), len(test)) closed-interval overlaps, computed pair by pair."""
    return (t0[train][:, None] <= t1[test][None, :]) & (t1[train][:, None] >= t0[test][None, :])


# --- hand-worked: 10 samples at times 0..9, each label ends 2 steps later (t1 = t0 + 2) ---------

T0 = np.arange(10.0)
T1 = T0 + 2


def test_purged_kfold_hand_worked():
    # folds of array_split(10, 3): [0..3], [4..6], [7..9]; embargo floor(0.1 * 10) = 1 row.
    # fold 1: span [0, 3+2=5]; rows 4, 5 start by 5 -> purged; first row after 5 is 6 -> embargoed.
    # fold 2: span [4, 8]; rows with t1 >= 4 and t0 <= 8 -> 2..8 purged; row 9 embargoed.
    # fold 3: span [7, 11]; rows 5, 6 end at 7, 8 -> purged; nothing after the span to embargo.
    assert as_lists(purged_kfold_splits(T0, T1, n_splits=3, embargo_pct=0.1)) == [
        ([7, 8, 9], [0, 1, 2, 3]),
        ([0, 1], [4, 5, 6]),
        ([0, 1, 2, 3, 4], [7, 8, 9]),
    ]


def test_walk_forward_hand_worked():
    # tests [4..6] and [7..9]; training rows end strictly before the block's first time.
    # expanding: block at 4 keeps rows with t0 + 2 < 4 -> 0, 1; block at 7 keeps t0 < 5 -> 0..4.
    assert as_lists(walk_forward_splits(T0, T1, n_splits=2, test_size=3)) == [
        ([0, 1], [4, 5, 6]),
        ([0, 1, 2, 3, 4], [7, 8, 9]),
    ]
    # rolling 3: candidates 1..3 then 4..6, of which only 1 and 4 end before the block.
    assert as_lists(walk_forward_splits(T0, T1, n_splits=2, test_size=3, train_size=3)) == [
        ([1], [4, 5, 6]),
        ([4], [7, 8, 9]),
    ]


# --- zero-length labels: nothing to purge, the splits are scikit-learn's ---------------------------


def test_zero_length_labels_equal_scikit_learn():
    t = pd.date_range("2024-01-01", periods=57, freq="D", tz="UTC")
    x = np.zeros((57, 1))
    assert as_lists(walk_forward_splits(t, t, n_splits=4, test_size=7)) == as_lists(
        TimeSeriesSplit(n_splits=4, test_size=7).split(x)
    )
    assert as_lists(walk_forward_splits(t, t, n_splits=4, test_size=7, train_size=20)) == as_lists(
        TimeSeriesSplit(n_splits=4, test_size=7, max_train_size=20).split(x)
    )
    assert as_lists(purged_kfold_splits(t, t, n_splits=5)) == as_lists(KFold(n_splits=5).split(x))


def test_datetimes_and_numbers_give_the_same_splits():
    t = pd.date_range("2024-01-01", periods=40, freq="h", tz="UTC")
    days = np.arange(40.0)
    got = purged_kfold_splits(t, t + pd.Timedelta(hours=3), n_splits=4, embargo_pct=0.05)
    assert as_lists(got) == as_lists(purged_kfold_splits(days, days + 3, n_splits=4, embargo_pct=0.05))


# --- properties over random panels ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_purged_kfold_no_overlap_exact_embargo_and_brute_force(seed):
    t0, t1 = random_panel(seed)
    n, pct = t0.size, 0.03
    h = embargo_size(n, pct)
    assert h == 9
    splits = purged_kfold_splits(t0, t1, n_splits=5, embargo_pct=pct)
    np.testing.assert_array_equal(np.concatenate([test for _, test in splits]), np.arange(n))
    for train, test in splits:
        assert not pairwise_overlap(t0, t1, train, test).any()
        # brute force: every non-test row that meets no test label pair by pair, less the embargo
        # of h rows starting at m, the first row after the block that starts after every test label.
        others = np.setdiff1d(np.arange(n), test)
        clean = others[~pairwise_overlap(t0, t1, others, test).any(axis=1)]
        after = np.flatnonzero((np.arange(n) > test[-1]) & (t0 > t1[test].max()))
        m = after[0] if after.size else n
        np.testing.assert_array_equal(train, clean[(clean < m) | (clean >= m + h)])
        # the embargo is exactly h rows: training after the block resumes at m + h.
        if m + h < n:
            assert train[train > test[-1]][0] == m + h
            assert np.intersect1d(train, np.arange(m, m + h)).size == 0


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("train_size", [None, 60])
def test_walk_forward_trains_only_on_the_past_without_overlap(seed, train_size):
    t0, t1 = random_panel(seed)
    splits = walk_forward_splits(t0, t1, n_splits=4, test_size=40, train_size=train_size)
    assert [test.tolist() for _, test in splits] == [list(range(a, a + 40)) for a in range(140, 300, 40)]
    for train, test in splits:
        assert train.max() < test[0]
        assert not pairwise_overlap(t0, t1, train, test).any()
        lo = 0 if train_size is None else test[0] - train_size
        before = np.arange(lo, test[0])
        np.testing.assert_array_equal(train, before[t1[before] < t0[test[0]]])


def test_embargo_size_is_the_floor_of_the_fraction():
    assert [embargo_size(100, p) for p in (0.0, 0.01, 0.29, 0.299)] == [0, 1, 29, 29]
    assert embargo_size(150, 0.01) == 1


@pytest.mark.parametrize(
    "t0, t1, kwargs, message",
    [
        ([0, 1, 2], [0, 1, 2], {"n_splits": 3, "test_size": 1}, "cannot hold"),
        ([2, 1, 3], [2, 1, 3], {"n_splits": 1, "test_size": 1}, "sorted"),
        ([0, 1, 2], [0, 0, 2], {"n_splits": 1, "test_size": 1}, "t1 >= t0"),
        ([0, 1, 2], [0, np.nan, 2], {"n_splits": 1, "test_size": 1}, "t1 >= t0"),
        ([0, 1, 2], [5, 5, 5], {"n_splits": 1, "test_size": 1}, "no training sample"),
        ([0, 1, 2], [0, 1, 2], {"n_splits": 0, "test_size": 1}, "positive"),
    ],
)
def test_walk_forward_refuses_bad_input(t0, t1, kwargs, message):
    with pytest.raises(ValueError, match=message):
        walk_forward_splits(np.asarray(t0, float), np.asarray(t1, float), **kwargs)


def test_purged_kfold_refuses_bad_input():
    t = np.arange(5.0)
    with pytest.raises(ValueError, match="between 2"):
        purged_kfold_splits(t, t, n_splits=6)
    with pytest.raises(ValueError, match="embargo_pct"):
        purged_kfold_splits(t, t, n_splits=2, embargo_pct=1.0)
    with pytest.raises(ValueError, match="both be datetimes"):
        purged_kfold_splits(pd.date_range("2024-01-01", periods=5), t, n_splits=2)
    with pytest.raises(ValueError, match="NaT"):
        days = pd.DatetimeIndex([pd.NaT, *pd.date_range("2024-01-01", periods=4)])
        purged_kfold_splits(days, days.fillna(pd.Timestamp("2024-01-01")), n_splits=2)
