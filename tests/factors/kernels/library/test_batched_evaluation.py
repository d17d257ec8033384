"""Evaluating many formulas with kernel calls shared side by side (evaluate(batch=True), the default
on small panels) answers what one call per node answers: every Alpha158 and 101-alphas formula at
once, on the library's synthetic market (NaN gap included)."""

import numpy as np
import pytest

from apps.factors.kernels.expressions import evaluate
from apps.factors.kernels.expressions import evaluator as evaluator_module
from apps.factors.kernels.library import LIBRARY

from .conftest import N, T, compile_library_formula


@pytest.fixture(scope="module")
def trees():
    formulas = [*LIBRARY["alpha158"].values(), *LIBRARY["alpha101"].values()]
    return [compile_library_formula(f) for f in formulas]


def _run(trees, market, batch):
    return evaluate(trees, fields=lambda name: market[name], shape=(T, N), batch=batch)


def test_batched_equals_one_call_per_node(trees, market):
    one_by_one = _run(trees, market, batch=False)
    batched = _run(trees, market, batch=True)
    for tree, a, b in zip(trees, one_by_one, batched, strict=True):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=tree.source)
        # pandas' rolling sums carry their compensation across columns laid end to end: an ulp
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12, err_msg=tree.source)
        assert not b.flags.writeable and b.flags.c_contiguous


def test_batching_is_automatic_on_small_panels_only(trees, market, monkeypatch):
    calls = []
    original = evaluator_module._run_side_by_side

    def counting(group, values, shape):
        calls.append(len(group))
        return original(group, values, shape)

    monkeypatch.setattr(evaluator_module, "_run_side_by_side", counting)
    _run(trees[:40], market, batch=None)  # 400 x 30 cells: batched
    assert calls and max(calls) > 1
    calls.clear()
    monkeypatch.setattr(evaluator_module, "BATCH_PANEL_CELLS", T * N - 1)
    _run(trees[:40], market, batch=None)
    assert calls == []


def test_a_batch_larger_than_one_call_is_split(trees, market, monkeypatch):
    # at most two panels per call: the same answers through more, smaller calls
    monkeypatch.setattr(evaluator_module, "_BATCH_CELLS", 2 * T * N)
    split = _run(trees[:60], market, batch=True)
    for a, b in zip(_run(trees[:60], market, batch=False), split, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
