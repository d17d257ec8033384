"""var_levels.py: one partial sort per row gives the reference figures — VaR equal to numpy's
percentile bit for bit, ES to the last bits (exactly where ties send a row through the mask) — for
several confidences at once, with ties, NaN rows, all-NaN rows and short rows."""

from __future__ import annotations

import numpy as np
import pytest

from apps.risk.kernels.var_levels import historical_var_es_levels


def reference(pnl: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """The definition, row by row: minus the linear percentile, minus the mean at or below it."""
    var, es = [], []
    for row in pnl:
        finite = row[~np.isnan(row)]
        if finite.size == 0:
            var.append(np.nan)
            es.append(np.nan)
            continue
        cut = np.percentile(finite, 100.0 * (1.0 - c))
        var.append(-cut)
        es.append(-finite[finite <= cut].mean())
    return np.array(var), np.array(es)


LEVELS = [0.9, 0.95, 0.975, 0.99, 0.999]


@pytest.mark.parametrize("scenarios", [1, 2, 7, 250, 251, 1000])
def test_every_level_equals_the_reference_row_by_row(scenarios):
    rng = np.random.default_rng(scenarios)
    pnl = rng.standard_t(4, (300, scenarios)) * rng.uniform(1e3, 1e6, (300, 1))
    pnl[5] = 0.0  # an empty book: every scenario ties
    pnl[6, : max(1, scenarios // 2)] = pnl[6].min()  # a tied tail
    pnl[7] = np.round(pnl[7], -5)  # coarse values: ties at the percentile
    pnl[8, 0] = np.nan  # a NaN scenario: the reference path
    pnl[9] = np.nan  # nothing known
    var, es = historical_var_es_levels(pnl, LEVELS)
    assert var.shape == es.shape == (300, len(LEVELS))
    for k, c in enumerate(LEVELS):
        ref_var, ref_es = reference(pnl, c)
        np.testing.assert_array_equal(var[:, k], ref_var)
        np.testing.assert_allclose(es[:, k], ref_es, rtol=1e-13, atol=0)
        assert np.isnan(var[9, k]) and np.isnan(es[9, k])
        known = ~np.isnan(var[:, k])
        assert (es[known, k] >= var[known, k] - 1e-9 * np.abs(var[known, k])).all()  # a tail mean


def test_ties_past_the_partitioned_entries_join_the_tail():
    # 100 scenarios at 95 %: the percentile is at virtual index 4.95, between the 5th and 6th smallest;
    # with the 5th..10th smallest equal, the tail holds all six of them, not the first five.
    row = np.concatenate([[-9.0, -8.0, -7.0, -6.0], np.full(6, -5.0), np.arange(90.0)])
    rng = np.random.default_rng(0)
    pnl = rng.permutation(row)[None, :]
    var, es = historical_var_es_levels(pnl, [0.95])
    assert var[0, 0] == 5.0
    assert es[0, 0] == pytest.approx((9 + 8 + 7 + 6 + 6 * 5) / 10, rel=1e-15)


def test_no_rows_or_no_levels_answer_empty_tables():
    assert historical_var_es_levels(np.empty((0, 5)), [0.99])[0].shape == (0, 1)
    assert historical_var_es_levels(np.ones((3, 5)), [])[1].shape == (3, 0)
