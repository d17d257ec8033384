"""The book matrix's entries as the loader hands them to `derive`, known without a pass over the
dense matrix: the same entries, in the same order, as np.nonzero (or the CSR's own) would give."""

from __future__ import annotations

import numpy as np
import pytest

from apps.risk.selectors.book import figures


@pytest.mark.parametrize("shape", [(40, 30), (3_000, 1_000)])  # dense, then CSR (over SPARSE_CELLS)
def test_matrix_entries_are_the_entries_of_the_matrix_in_its_order(shape):
    rng = np.random.default_rng(3)
    k = 500
    rows = rng.integers(0, shape[0], k)
    cols = rng.integers(0, shape[1], k)
    data = rng.normal(size=k)
    data[::50] = 0.0  # explicit zeros are no entry
    rows = np.concatenate([rows, rows[:20]])  # duplicates are summed, one of them to zero
    cols = np.concatenate([cols, cols[:20]])
    data = np.concatenate([data, data[:20]])
    data[k] = -data[0] * 2 + data[0]  # the first pair sums to zero
    m, held = figures.matrix_entries(rows, cols, data, shape)
    assert isinstance(m, np.ndarray) == (shape[0] * shape[1] <= figures.SPARSE_CELLS)
    dense = m if isinstance(m, np.ndarray) else m.toarray()
    expected_dense = np.zeros(shape)
    np.add.at(expected_dense, (rows, cols), data)
    np.testing.assert_allclose(dense, expected_dense, rtol=1e-15, atol=1e-15)
    assert (dense != 0).sum() == (expected_dense != 0).sum()
    r, c = np.nonzero(dense)  # what `entries` reads off a dense matrix
    np.testing.assert_array_equal(held[0], r)
    np.testing.assert_array_equal(held[1], c)
    np.testing.assert_array_equal(held[2], dense[r, c])
    for got, want in zip(held, figures.entries(m), strict=True):
        np.testing.assert_array_equal(got, want)
