from __future__ import annotations

import gc
import weakref
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import rankdata

from apps.factors.kernels.expressions import (
    FormulaError,
    PanelCache,
    compile_formula,
    evaluate,
    evaluate_tail,
    history_rows,
)
from apps.factors.kernels.expressions.evaluator import require_history
from apps.factors.kernels.expressions.parser import MAX_DEPTH, MAX_NESTING

from .registry_fixture import FIELDS, CountingRegistry, lookup_for, make_specs, operator_named

nan = np.nan
CLOSE = np.array(
    [
        [10.0, 20.0, 30.0],
        [11.0, nan, 29.0],
        [12.0, 22.0, 28.0],
        [13.0, 23.0, 31.0],
        [12.0, 24.0, nan],
        [14.0, 25.0, 33.0],
    ]
)
OPEN = np.array(
    [
        [9.0, 21.0, 30.0],
        [11.0, 20.0, 30.0],
        [13.0, 21.0, 27.0],
        [12.0, 24.0, 30.0],
        [12.0, 23.0, 32.0],
        [15.0, 24.0, 32.0],
    ]
)
VOLUME = np.arange(1.0, 19.0).reshape(6, 3) * 100
SECTOR = np.array([[0, 0, 1]] * 6)
PANELS = {"close": CLOSE, "open": OPEN, "volume": VOLUME, "sector": SECTOR}
SHAPE = CLOSE.shape


class Fields:
    """The field source, counting how often each field is fetched."""

    def __init__(self, panels=None):
        self.panels = panels or PANELS
        self.fetched: Counter[str] = Counter()

    def __call__(self, name):
        self.fetched[name] += 1
        return self.panels[name]


def compiled(*texts, operators=operator_named):
    return [compile_formula(t, operators=operators, fields=FIELDS) for t in texts]


def run(*texts, operators=operator_named, **kwargs):
    return evaluate(compiled(*texts, operators=operators), fields=Fields(), shape=SHAPE, **kwargs)


# -- values against numpy by hand ----------------------------------------------------------------


def test_arithmetic_matches_numpy():
    [result] = run("($close - $open) / $open * 100 + 2 ^ 2")
    np.testing.assert_array_equal(result, (CLOSE - OPEN) / OPEN * 100 + 4)


def test_rolling_mean_by_hand():
    [result] = run("ts_mean($close, 3)")
    expected = np.full(SHAPE, nan)
    for t in range(2, 6):
        expected[t] = CLOSE[t - 2 : t + 1].sum(axis=0) / 3  # NaN in the window -> NaN
    np.testing.assert_allclose(result, expected)
    assert np.isnan(result[:2]).all() and np.isnan(result[3, 1]) and result[5, 0] == pytest.approx(13.0)


def test_ternary_with_nan_condition():
    [result] = run("($close > $open) ? $volume : -$volume")
    expected = np.where(CLOSE > OPEN, VOLUME, -VOLUME)
    expected[np.isnan(CLOSE)] = nan
    np.testing.assert_array_equal(result, expected)
    assert result[0, 0] == 100 and result[0, 1] == -200 and np.isnan(result[1, 1])


def test_cross_sectional_rank_of_a_delayed_difference():
    [result] = run("cs_rank(Ref($close, 1) - $open)")
    diff = np.vstack([np.full(3, nan), CLOSE[:-1]]) - OPEN
    for t in range(6):
        row = diff[t]
        ok = ~np.isnan(row)
        expected = np.full(3, nan)
        expected[ok] = rankdata(row[ok]) / ok.sum()
        np.testing.assert_allclose(result[t], expected)


def test_group_neutralize_by_hand():
    [result] = run("cs_neutralize($close, $sector)")
    # Sector 0 is columns 0 and 1, sector 1 is column 2 alone (so 0 where present).
    assert result[0].tolist() == [-5.0, 5.0, 0.0]
    assert result[1, 0] == 0.0 and np.isnan(result[1, 1])
    assert np.isnan(result[4, 2])


def test_group_field_given_as_float_with_nan_becomes_minus_one():
    sector = SECTOR.astype(float)
    sector[0, 2] = nan
    [result] = evaluate(
        compiled("cs_neutralize($close, $sector)"),
        fields=Fields({**PANELS, "sector": sector}),
        shape=SHAPE,
    )
    assert np.isnan(result[0, 2]) and result[0, 0] == -5.0


def test_variadic_and_default_arguments():
    [residual, scaled] = run("cs_residual($close, $open, 1)", "scale($close)")
    rest = CLOSE - OPEN - 1
    np.testing.assert_allclose(residual, rest - np.nanmean(rest, axis=1, keepdims=True))
    np.testing.assert_array_equal(scaled, CLOSE * 2)


def test_a_constant_formula_is_a_full_panel():
    [five, seven] = run("5", "3 + 4")
    assert five.shape == SHAPE and (five == 5).all()
    assert seven.shape == SHAPE and (seven == 7).all()


def test_a_bare_field_formula_is_the_field_read_only():
    [result] = run("$close")
    np.testing.assert_array_equal(result, CLOSE)
    assert not result.flags.writeable
    assert CLOSE.flags.writeable  # the caller's own array is untouched


def test_results_are_read_only():
    [result] = run("$close + 1")
    with pytest.raises(ValueError):
        result[0, 0] = 1.0


def test_numbers_reach_series_arguments_broadcast_without_a_copy():
    seen = []
    specs = [
        replace(s, kernel=lambda a, b, k=s.kernel: seen.append((a, b)) or k(a, b)) if s.name == "mul" else s
        for s in make_specs()
    ]
    [result] = run("$close * 0.5", operators=lookup_for(specs))
    np.testing.assert_array_equal(result, CLOSE * 0.5)
    [(panel, half)] = seen
    assert half.shape == SHAPE and half.strides == (0, 0) and not half.flags.writeable
    assert not panel.flags.writeable and np.shares_memory(panel, CLOSE)


def test_wrong_field_shape_is_a_value_error():
    with pytest.raises(ValueError, match="field \\$close has shape"):
        evaluate(compiled("$close + 1"), fields=lambda name: CLOSE[:3], shape=SHAPE)


# -- sharing sub-expressions ---------------------------------------------------------------------


def test_a_sub_expression_used_three_times_across_two_formulas_runs_once():
    registry = CountingRegistry()
    fields = Fields()
    trees = compiled(
        "ts_mean($close, 5) + cs_rank(Mean($close, 5))",
        "ts_mean($close, 5.0) * 2",
        operators=registry,
    )
    first, second = evaluate(trees, fields=fields, shape=SHAPE)
    assert registry.calls["ts_mean"] == 1
    assert registry.calls == Counter({"ts_mean": 1, "cs_rank": 1, "add": 1, "mul": 1})
    assert fields.fetched == Counter({"close": 1})
    mean = np.full(SHAPE, nan)
    mean[4:] = np.array([CLOSE[t - 4 : t + 1].mean(axis=0) for t in (4, 5)])
    np.testing.assert_allclose(second, mean * 2)
    # Row 5: only column 0 has a full 5-row window (NaNs in the others), so its rank is 1/1.
    np.testing.assert_allclose(first[5], [mean[5, 0] + 1.0, nan, nan])
    assert mean[5, 0] == pytest.approx(12.4)


def test_identical_formulas_share_their_result():
    registry = CountingRegistry()
    one, two = evaluate(
        compiled("cs_rank($close)", "rank( $close )", operators=registry), fields=Fields(), shape=SHAPE
    )
    assert registry.calls["cs_rank"] == 1
    assert one is two


def test_intermediates_are_freed_once_no_later_node_needs_them():
    alive: dict[str, weakref.ref] = {}
    seen_when_ranking: dict[str, bool] = {}

    def remember(name, kernel):
        def wrapped(*args):
            out = kernel(*args)
            alive[name] = weakref.ref(out)
            return out

        return wrapped

    def rank(x, kernel):
        seen_when_ranking.update({name: ref() is not None for name, ref in alive.items()})
        return kernel(x)

    specs = []
    for spec in make_specs():
        if spec.name in ("delay", "ts_mean"):
            spec = replace(spec, kernel=remember(spec.name, spec.kernel))
        elif spec.name == "cs_rank":
            spec = replace(spec, kernel=lambda x, k=spec.kernel: rank(x, k))
        specs.append(spec)
    ops = lookup_for(specs)
    # delay's output is read only by ts_mean: gone by the time cs_rank runs. ts_mean's output is
    # cs_rank's argument, so alive. A root is never freed, even if another node reads it.
    evaluate(compiled("cs_rank(ts_mean(delay($close, 1), 2))", operators=ops), fields=Fields(), shape=SHAPE)
    assert seen_when_ranking == {"delay": False, "ts_mean": True}
    seen_when_ranking.clear()
    evaluate(
        compiled("cs_rank(ts_mean(delay($close, 1), 2))", "delay($close, 1)", operators=ops),
        fields=Fields(),
        shape=SHAPE,
    )
    assert seen_when_ranking == {"delay": True, "ts_mean": True}


def test_results_are_freed_when_the_caller_drops_them_without_the_cycle_collector():
    """A call leaves no reference cycle behind: with the collector off, dropping the results frees
    every panel the call made (a recursive closure in the planner once kept them all until a
    collection, hundreds of MB at 500 x 2,520)."""
    gc.collect()
    gc.disable()
    try:
        results = run("cs_rank(ts_mean(delay($close, 1), 2))", "$close / $open")
        refs = [weakref.ref(r) for r in results]
        del results
        assert [ref() for ref in refs] == [None, None]
    finally:
        gc.enable()


# -- the cache -----------------------------------------------------------------------------------


def test_cache_hits_across_calls_skip_kernels_and_fields():
    registry = CountingRegistry()
    cache = PanelCache(max_bytes=10_000_000)
    trees = compiled("cs_rank(ts_mean($close, 3)) - $open", operators=registry)
    [first] = evaluate(trees, fields=Fields(), shape=SHAPE, cache=cache, context="u1|2024")
    assert registry.calls == Counter({"ts_mean": 1, "cs_rank": 1, "sub": 1})
    assert (cache.hits, cache.misses, len(cache)) == (0, 3, 3)  # each operator node looked up once

    fields = Fields()
    [second] = evaluate(trees, fields=fields, shape=SHAPE, cache=cache, context="u1|2024")
    assert registry.calls == Counter({"ts_mean": 1, "cs_rank": 1, "sub": 1})  # nothing recomputed
    assert fields.fetched == Counter()  # the root was cached: nothing under it is read
    assert cache.hits == 1
    np.testing.assert_array_equal(first, second)

    # A different formula sharing a sub-tree reuses it; another context recomputes.
    evaluate(
        compiled("cs_rank(ts_mean($close, 3)) * 2", operators=registry),
        fields=Fields(),
        shape=SHAPE,
        cache=cache,
        context="u1|2024",
    )
    assert registry.calls["cs_rank"] == 1 and registry.calls["mul"] == 1
    evaluate(trees, fields=Fields(), shape=SHAPE, cache=cache, context="u2|2024")
    assert registry.calls["ts_mean"] == 2


def test_cache_eviction_by_bytes_recomputes():
    registry = CountingRegistry()
    panel_bytes = CLOSE.nbytes
    cache = PanelCache(max_bytes=2 * panel_bytes)
    trees = compiled("cs_rank(ts_mean(delay($close, 1), 2))", operators=registry)
    evaluate(trees, fields=Fields(), shape=SHAPE, cache=cache)
    assert len(cache) == 2 and cache.nbytes == 2 * panel_bytes and cache.evictions == 1
    evaluate(trees, fields=Fields(), shape=SHAPE, cache=cache)
    assert registry.calls["cs_rank"] == 1  # the root survived (most recent)
    cache.clear()
    evaluate(trees, fields=Fields(), shape=SHAPE, cache=cache)
    assert registry.calls["cs_rank"] == 2


# -- tail evaluation and history -----------------------------------------------------------------

TAIL_FORMULAS = [
    "ts_mean(delay($close, 2), 3)",
    "cs_rank($close - ts_mean($open, 2))",
    "($close > delay($close, 1)) ? $volume : -$volume",
    "cs_neutralize(ts_sum($close, 2), $sector)",
    "$close / $open",
    "ema($close, 3) - $open",
]


@pytest.mark.parametrize("text", TAIL_FORMULAS)
def test_tail_equals_the_last_row_of_a_full_evaluation(text):
    rng = np.random.default_rng(7)
    panels = {name: rng.normal(100, 5, (40, 5)) for name in ("close", "open", "volume")}
    panels["close"][rng.random((40, 5)) < 0.1] = nan
    panels["sector"] = rng.integers(0, 2, (40, 5))
    trees = compiled(text)
    [full] = evaluate(trees, fields=Fields(panels), shape=(40, 5))
    [tail] = evaluate_tail(trees, fields=Fields(panels), shape=(40, 5))
    # pandas' rolling sums run incrementally, so a shorter history can differ in the last ulp.
    np.testing.assert_allclose(tail, full[-1], rtol=1e-13, atol=0)
    np.testing.assert_array_equal(np.isnan(tail), np.isnan(full[-1]))
    assert not np.isnan(full[-1]).all()  # the comparison is about numbers, not NaN == NaN


def test_tail_reads_only_the_rows_it_needs():
    seen_rows = []
    specs = [
        replace(s, kernel=lambda x, w, k=s.kernel: seen_rows.append(x.shape[0]) or k(x, w))
        if s.name == "ts_mean"
        else s
        for s in make_specs()
    ]
    trees = compiled("ts_mean(delay($close, 2), 3)", "cs_rank($open)", operators=lookup_for(specs))
    assert history_rows(trees) == 5
    evaluate_tail(trees, fields=Fields(), shape=SHAPE)
    assert seen_rows == [5]
    assert history_rows(compiled("ema($close, 2)", "$open")) is None
    assert history_rows([]) == 1


def test_tail_with_a_cache_keeps_tail_results_apart_from_full_ones():
    cache = PanelCache(max_bytes=10_000_000)
    trees = compiled("ts_mean($close, 2)")
    [full] = evaluate(trees, fields=Fields(), shape=SHAPE, cache=cache, context="c")
    [tail] = evaluate_tail(trees, fields=Fields(), shape=SHAPE, cache=cache, context="c")
    np.testing.assert_array_equal(tail, full[-1])
    assert cache.hits == 0 and len(cache) == 2


def test_window_longer_than_the_data_points_at_the_operator():
    [ok] = compiled("ts_mean($close, 6)")
    require_history([ok], 6)
    [tree] = compiled("1 + cs_rank(ts_mean(delay($close, 3), 4))")
    with pytest.raises(FormulaError) as raised:
        require_history([tree], 6)
    error = raised.value
    assert error.message == "window longer than the data (needs 7 rows, has 6)"
    assert (error.position, error.length) == (12, 28)  # ts_mean(...), not cs_rank or delay
    assert error.caret().splitlines()[1] == " " * 12 + "^" * 28
    with pytest.raises(FormulaError, match="needs 10 rows, has 6"):
        require_history(compiled("delay($close, 9)"), 6)
    # An unbounded operator needs only what it is given; a window above it still counts.
    require_history(compiled("ema($close, 50)"), 6)
    with pytest.raises(FormulaError, match="needs 7 rows, has 6"):
        require_history(compiled("ts_mean(ema($close, 50), 7)"), 6)


def test_the_deepest_accepted_formulas_check_and_evaluate():
    [total] = run(" + ".join(["$close"] * (MAX_DEPTH - 1)))
    np.testing.assert_allclose(total, CLOSE * (MAX_DEPTH - 1))
    [ranked] = run("cs_rank(" * (MAX_NESTING - 1) + "$close" + ")" * (MAX_NESTING - 1))
    np.testing.assert_allclose(ranked[0], [1 / 3, 2 / 3, 1.0])
