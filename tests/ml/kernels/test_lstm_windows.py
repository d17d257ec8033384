"""sequence_windows (no PyTorch needed): each kept row's window equals the last `lookback` rows of its
symbol up to it, gathered by a plain loop over the rows; rows without a full window are dropped."""

from __future__ import annotations

import numpy as np
import pytest

from apps.ml.kernels.lstm import sequence_windows


def loop_windows(X, groups, lookback):
    seen: dict[str, list[int]] = {}
    out, rows = [], []
    for i, g in enumerate(groups):
        seen.setdefault(g, []).append(i)
        if len(seen[g]) >= lookback:
            out.append(X[seen[g][-lookback:]])
            rows.append(i)
    return np.array(out).reshape(len(rows), lookback, X.shape[1]), np.array(rows, dtype=np.int64)


@pytest.mark.parametrize("lookback", [1, 3, 7])
def test_windows_equal_a_loop_over_interleaved_symbols(lookback):
    rng = np.random.default_rng(0)
    # Rows in time order, symbols interleaving unevenly (one symbol has gaps, one starts late).
    groups = rng.choice(["AAA", "BBB", "CCC"], size=80, p=[0.5, 0.3, 0.2])
    groups[:10] = "AAA"
    X = rng.normal(size=(80, 2))
    got, rows = sequence_windows(X, groups, lookback)
    want, want_rows = loop_windows(X, groups, lookback)
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_array_equal(got, want)
    counts = {g: int((groups == g).sum()) for g in set(groups)}
    assert len(rows) == sum(max(c - lookback + 1, 0) for c in counts.values())


def test_too_few_rows_give_no_window_and_a_bad_lookback_is_refused():
    X = np.arange(6.0).reshape(3, 2)
    got, rows = sequence_windows(X, ["A", "B", "A"], 3)
    assert got.shape == (0, 3, 2) and rows.size == 0
    got, rows = sequence_windows(X, ["A", "B", "A"], 2)
    np.testing.assert_array_equal(rows, [2])
    np.testing.assert_array_equal(got[0], X[[0, 2]])
    with pytest.raises(ValueError, match="lookback"):
        sequence_windows(X, ["A", "B", "A"], 0)
