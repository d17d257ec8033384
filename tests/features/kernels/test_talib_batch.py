"""The batched TA-Lib kernel against TA-Lib called directly, over the whole catalogue.

Panel: the last 600 daily bars of the S&P 500 shipped with `arch` (nothing downloaded), as 3
instruments: the index itself, a scaled and shifted copy, and a scaled copy that starts 50 rows later
(NaN before). MAVP's extra "periods" input is a fixed pseudo-random series of periods in [2, 30].
"""

import numpy as np
import pytest
import talib
from arch.data import sp500
from talib import abstract

from apps.features.kernels.catalog import BadParameter, catalog, function_spec
from apps.features.kernels.talib_batch import INDEX_FUNCTIONS, lookback, talib_compute, talib_series

LATE_START = 50
NAMES = [spec.name for spec in catalog()]

# Functions whose value at t changes when later rows are added (look-ahead), as measured over the
# whole catalogue with TA-Lib 0.8.2: none. TA-Lib's "unstable period" functions (EMA, RSI, ADX, ATR,
# KAMA, MAMA, HT_*, T3...) depend on how far back the series STARTS, not on what comes after t, so
# they are prefix-invariant too (with TA-Lib's default unstable period of 0). Keep this list explicit:
# a TA-Lib upgrade that breaks it fails `test_prefix_invariance_breakers_are_exactly_the_listed_ones`.
PREFIX_BREAKERS: frozenset[str] = frozenset()
# Math transforms that are all NaN/inf on index levels (acos(2500), exp(2500)); TA-Lib flags only some
# of them "Output can be NaN or infinite". They are also tested on a panel scaled into (0, 1).
OUT_OF_DOMAIN_ON_PRICES = frozenset({"ACOS", "ASIN", "COSH", "EXP", "SINH"})
PREFIX_TIMES = (0, 40, 55, 120, 233, 377, 450, 598)


def _column_set(frame, column):
    a = frame[column].to_numpy(dtype=np.float64)
    is_volume = column == "Volume"
    b = a * 1.7 + (0.0 if is_volume else 25.0)
    c = a * 0.5
    c[:LATE_START] = np.nan
    return np.column_stack([a, b, c])


@pytest.fixture(scope="module")
def panel() -> dict[str, np.ndarray]:
    frame = sp500.load().iloc[-600:]
    fields = {c.lower(): _column_set(frame, c) for c in ("Open", "High", "Low", "Close", "Volume")}
    periods = np.random.default_rng(12).integers(2, 31, size=len(frame)).astype(np.float64)
    fields["periods"] = np.column_stack([periods] * 3)
    return fields


def _direct(name, fields, column):
    """TA-Lib called directly on one whole column, defaults from TA-Lib's abstract API.

    The wrapper skips a leading NaN run itself (it starts at the first row where every input is
    finite), so this is an independent reference for the late starter too. Only change: integer
    outputs' warm-up, which the wrapper fills with 0, is NaN in ours ("not computed").
    """
    spec = function_spec(name)
    fn = abstract.Function(name)
    args = [np.ascontiguousarray(fields[f][:, column]) for f in spec.inputs]
    start = int(np.argmax(np.logical_and.reduce([np.isfinite(a) for a in args])))
    result = getattr(talib, name)(*args, **dict(fn.parameters))
    out = []
    for values in result if isinstance(result, tuple) else (result,):
        full = values.astype(np.float64)
        if values.dtype.kind in "iu":
            full[: start + fn.lookback] = np.nan
        out.append(full)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_every_function_equals_talib_directly(panel, name):
    spec = function_spec(name)
    got = talib_compute(spec, {}, panel)
    assert list(got) == list(spec.outputs)
    warmup = abstract.Function(name).lookback
    assert lookback(spec) == warmup
    for column, start in ((0, 0), (1, 0), (2, LATE_START)):
        expected = _direct(name, panel, column)
        for output, want in zip(spec.outputs, expected, strict=True):
            values = got[output]
            assert values.shape == panel["close"].shape and values.dtype == np.float64
            np.testing.assert_allclose(values[:, column], want, rtol=1e-12, equal_nan=True)
            assert np.isnan(values[: start + warmup, column]).all(), (output, column)
            if name not in OUT_OF_DOMAIN_ON_PRICES:  # those are checked in their domain below
                # not a vacuous pass: something was computed after the warm-up
                assert np.isfinite(values[start + warmup :, column]).any(), (output, column)


@pytest.mark.parametrize(
    "name", sorted(OUT_OF_DOMAIN_ON_PRICES | {s.name for s in catalog() if s.can_be_nan_or_inf})
)
def test_nan_or_inf_functions_in_their_domain(panel, name):
    """ACOS, EXP, LN... are NaN/inf on index levels; in (0, 1) they are finite and must equal TA-Lib."""
    spec = function_spec(name)
    scaled = {k: v / np.nanmax(v) * 0.9 for k, v in panel.items()}
    got = talib_compute(spec, {}, scaled)
    warmup = abstract.Function(name).lookback
    for column, start in ((0, 0), (1, 0), (2, LATE_START)):
        for output, want in zip(spec.outputs, _direct(name, scaled, column), strict=True):
            np.testing.assert_allclose(got[output][:, column], want, rtol=1e-12, equal_nan=True)
            assert np.isfinite(got[output][start + warmup :, column]).all(), (output, column)


def test_late_starter_is_computed_on_its_valid_suffix(panel):
    close = np.ascontiguousarray(panel["close"][LATE_START:, 2])
    got = talib_compute(function_spec("EMA"), {"timeperiod": 10}, panel)["real"][:, 2]
    assert np.isnan(got[: LATE_START + 9]).all()
    np.testing.assert_allclose(got[LATE_START:], talib.EMA(close, timeperiod=10), rtol=1e-12, equal_nan=True)


def test_index_outputs_are_rows_of_the_panel(panel):
    assert INDEX_FUNCTIONS == {"MAXINDEX", "MININDEX", "MINMAXINDEX"}
    got = talib_compute(function_spec("MAXINDEX"), {"timeperiod": 5}, panel)["integer"]
    t = 200
    for column in range(3):
        assert got[t, column] == t - 4 + np.argmax(panel["close"][t - 4 : t + 1, column])


def _breaks_prefix(compute, panel, times=PREFIX_TIMES) -> list[tuple[str, int]]:
    """(output, t) where compute(rows [0, t])[t] differs from compute(full panel)[t] beyond 1e-9 rel."""
    full = compute(panel)
    broken = []
    for t in times:
        head = compute({k: v[: t + 1] for k, v in panel.items()})
        for output in full:
            try:
                np.testing.assert_allclose(head[output][t], full[output][t], rtol=1e-9, equal_nan=True)
            except AssertionError:
                broken.append((output, t))
    return broken


def _prefix_breakers(panel, names):
    breakers = {}
    for name in names:
        spec = function_spec(name)
        broken = _breaks_prefix(lambda fields, spec=spec: talib_compute(spec, {}, fields), panel)
        if broken:
            breakers[name] = broken
    return breakers


def test_prefix_invariance_over_the_whole_catalogue(panel):
    """The value at t from rows [0, t] equals the value at t from the full panel (no look-ahead)."""
    breakers = _prefix_breakers(panel, [n for n in NAMES if n not in PREFIX_BREAKERS])
    assert breakers == {}


def test_prefix_invariance_breakers_are_exactly_the_listed_ones(panel):
    assert set(_prefix_breakers(panel, NAMES)) == PREFIX_BREAKERS


def test_the_prefix_check_can_fail(panel):
    """A centred moving average peeks one row ahead; the same check must catch it at every t."""

    def centred(fields):
        x = fields["close"]
        out = np.full_like(x, np.nan)
        out[1:-1] = (x[:-2] + x[1:-1] + x[2:]) / 3
        return {"real": out}

    assert [t for _, t in _breaks_prefix(centred, panel)] == [t for t in PREFIX_TIMES if t >= 1]


def test_parameters_reach_talib(panel):
    spec = function_spec("BBANDS")
    got = talib_compute(spec, {"timeperiod": 10, "nbdevup": 1.5, "matype": 1}, panel)
    close = np.ascontiguousarray(panel["close"][:, 1])
    upper, middle, lower = talib.BBANDS(close, timeperiod=10, nbdevup=1.5, nbdevdn=2.0, matype=1)
    np.testing.assert_allclose(got["upperband"][:, 1], upper, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(got["lowerband"][:, 1], lower, rtol=1e-12, equal_nan=True)
    assert lookback(spec, {"timeperiod": 10, "matype": 1}) == 9


def test_a_hand_worked_sma():
    # SMA(3) of 1, 2, 4, 8, 16: warm-up of 2, then (1+2+4)/3, (2+4+8)/3, (4+8+16)/3.
    close = np.array([[1.0, np.nan], [2.0, np.nan], [4.0, 1.0], [8.0, 2.0], [16.0, 4.0]])
    got = talib_compute(function_spec("SMA"), {"timeperiod": 3}, {"close": close})["real"]
    want = np.array([[np.nan, np.nan], [np.nan, np.nan], [7 / 3, np.nan], [14 / 3, np.nan], [28 / 3, 7 / 3]])
    np.testing.assert_allclose(got, want, rtol=1e-15, equal_nan=True)


def test_too_little_history_is_all_nan_not_an_error():
    close = np.arange(1.0, 11.0).reshape(5, 2)
    got = talib_compute(function_spec("RSI"), {}, {"close": close})["real"]
    assert got.shape == (5, 2) and np.isnan(got).all()
    assert np.isnan(
        talib_compute(function_spec("SMA"), {}, {"close": np.full((40, 1), np.nan)})["real"]
    ).all()


def test_bad_inputs_are_rejected(panel):
    with pytest.raises(ValueError, match="missing: volume"):
        talib_compute(function_spec("OBV"), {}, {"close": panel["close"]})
    with pytest.raises(ValueError, match="shape"):
        talib_compute(function_spec("ADD"), {}, {"high": panel["high"], "low": panel["low"][:10]})
    with pytest.raises(BadParameter):
        talib_compute(function_spec("RSI"), {"timeperiod": 1}, panel)


def test_fortran_ordered_panels_give_the_same_values(panel):
    spec = function_spec("ADX")
    c_order = talib_compute(spec, {}, panel)["real"]
    f_order = talib_compute(spec, {}, {k: np.asfortranarray(v) for k, v in panel.items()})["real"]
    np.testing.assert_array_equal(c_order, f_order)
    assert f_order.flags.f_contiguous  # each instrument's series contiguous, ready for the next call


@pytest.mark.parametrize("name", NAMES)
def test_series_path_is_exactly_the_panel_columns(panel, name):
    """`talib_series` (each series as it is, no panel) gives bit for bit what `talib_compute` gives
    for the same series alone in a panel: a full series, a late starter (NaN prefix), a series cut to
    different lengths, and one too short for the warm-up (all NaN)."""
    spec = function_spec(name)
    warmup = lookback(spec)
    cuts = [None, None, None, 300, LATE_START + warmup]  # the last: exactly the warm-up, no value
    columns = [0, 1, 2, 0, 2]
    series = {
        f: [np.ascontiguousarray(v[:cut, c]) for c, cut in zip(columns, cuts, strict=True)]
        for f, v in panel.items()
    }
    got = talib_series(spec, {}, series)
    assert list(got) == list(spec.outputs)
    for j in range(len(columns)):
        alone = talib_compute(spec, {}, {f: s[j].reshape(-1, 1) for f, s in series.items()})
        for output in spec.outputs:
            assert got[output][j].dtype == np.float64
            np.testing.assert_array_equal(got[output][j], alone[output][:, 0])
        assert np.isnan(got[spec.outputs[0]][4]).all()
