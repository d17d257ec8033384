"""Bounded look-back (kernels/incremental.py): the last value over `lookback_bars` trailing bars equals
the value over the full history, for every catalogue function and every extra.

Data: the daily S&P 500 shipped with `arch` (5,031 bars, 1999-2018, nothing downloaded) as one
instrument; the NASDAQ composite (same dates) is the benchmark of the relative extras. ACOS, ASIN,
COSH, EXP and SINH are outside their domain on index levels and run on the series scaled into (0, 1).
Bounds longer than the series (KAMA's worst case, TEMA(120) ...) are checked on a longer real path:
the S&P 500, then the same bars in reverse order, then forward again (15,091 bars, no jump).

The windows of the several end points are the columns of one panel (NaN above a shorter window, as
the engine pads an instrument with less history), so each case is one call for the windows and one
for the full history.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import talib
from arch.data import nasdaq, sp500

from apps.features.kernels import incremental
from apps.features.kernels.catalog import catalog, function_spec
from apps.features.kernels.extra import EXTRA_KERNELS, EXTRA_NAMES, extra_spec
from apps.features.kernels.functions import feature_compute, feature_params_resolve
from apps.features.kernels.incremental import (
    FULL_HISTORY,
    SEED_WEIGHT,
    Unclassified,
    classification,
    index_outputs_shift,
    index_ties,
    lookback_bars,
)
from apps.features.kernels.talib_batch import INDEX_FUNCTIONS

NAMES = [spec.name for spec in catalog()]
OUT_OF_DOMAIN_ON_PRICES = frozenset({"ACOS", "ASIN", "COSH", "EXP", "SINH"})
ENDS = (1597, 2584, 4043, 4653, 5030)  # bars of the 5,031-bar series (0-based), last one included
LONG_ENDS = (9000, 12000, 15090)
RTOL = 1e-9
ACCUMULATIONS = ("AD", "OBV", "CUMSUM", "WAD", "PVT", "NVI", "PVI", "VWAP")

# A few non-default parameter sets per family: long periods, every MA type a dispatcher can take.
NON_DEFAULT = [
    ("EMA", {"timeperiod": 200}), ("EMA", {"timeperiod": 2}), ("SMA", {"timeperiod": 200}),
    ("RSI", {"timeperiod": 50}), ("CMO", {"timeperiod": 5}), ("ATR", {"timeperiod": 100}),
    ("ADX", {"timeperiod": 40}), ("ADXR", {"timeperiod": 5}), ("TRIX", {"timeperiod": 60}),
    ("MACD", {"fastperiod": 35, "slowperiod": 5, "signalperiod": 5}), ("TEMA", {"timeperiod": 120}),
    ("T3", {"timeperiod": 20, "vfactor": 0.4}), ("KAMA", {"timeperiod": 10}), ("KC", {"atrperiod": 40}),
    ("MAVP", {"maxperiod": 40, "matype": 1}), ("BBANDS", {"timeperiod": 50, "matype": 1}),
    ("STOCH", {"slowk_matype": 1, "slowd_matype": 4}), ("STOCHF", {"fastd_matype": 13}),
    ("STOCHRSI", {"timeperiod": 30, "fastd_matype": 1}), ("APO", {"matype": 3}), ("PPO", {"matype": 8}),
    ("PVO", {"matype": 13}), ("KDJ", {"slowk_matype": 1, "slowd_matype": 0}),
    ("MACDEXT", {"fastmatype": 1, "slowmatype": 4, "signalmatype": 2}), ("MAXINDEX", {"timeperiod": 100}),
    ("MINMAXINDEX", {"timeperiod": 7}), ("CORREL", {"timeperiod": 90}),
    ("LINEARREG_SLOPE", {"timeperiod": 100}), ("ADOSC", {"fastperiod": 10, "slowperiod": 40}),
    ("SMI", {"slowperiod": 50}), ("TSI", {"firstperiod": 60}), ("MASSI", {"fastperiod": 20}),
] + [("MA", {"timeperiod": 25, "matype": code}) for code, _ in function_spec("MA").param("matype").choices]  # fmt: skip

EXTRA_CASES = [(name, {}) for name in EXTRA_NAMES] + [
    ("simple_returns", {"periods": 5}), ("log_returns", {"periods": 21}),
    ("close_to_close_volatility", {"window": 60}), ("yang_zhang_volatility", {"window": 5}),
    ("parkinson_volatility", {"window": 1}), ("rolling_beta", {"window": 120}),
    ("rolling_correlation", {"window": 250}), ("amihud", {"window": 60}),
]  # fmt: skip


def _fields(frame) -> dict[str, np.ndarray]:
    return {
        c.lower(): frame[c].to_numpy(dtype=np.float64) for c in ("Open", "High", "Low", "Close", "Volume")
    }


@pytest.fixture(scope="module")
def series() -> dict[str, np.ndarray]:
    """1-D series: OHLCV, MAVP's periods, the extras' returns and benchmark returns."""
    fields = _fields(sp500.load())
    fields["periods"] = (
        np.random.default_rng(12).integers(2, 31, size=len(fields["close"])).astype(np.float64)
    )
    close, bench = fields["close"], nasdaq.load()["Close"].to_numpy(dtype=np.float64)
    fields["returns"] = np.concatenate([[np.nan], close[1:] / close[:-1] - 1.0])
    fields["benchmark"] = np.concatenate([[np.nan], bench[1:] / bench[:-1] - 1.0])
    # Fundamental figures as the engine aligns them per bar: a step per quarter (63 bars), some
    # negative (a loss: NaN ratios), known from the first bar.
    steps = np.random.default_rng(5).normal(2.0, 1.5, size=len(close) // 63 + 1)
    for field in ("eps", "book_value", "dividend_per_share"):
        fields[f"fundamental:{field}"] = np.repeat(steps, 63)[: len(close)] * (1.0 + len(field) / 10)
    return fields


@pytest.fixture(scope="module")
def scaled(series) -> dict[str, np.ndarray]:
    return {k: v / np.nanmax(v) * 0.9 for k, v in series.items()}


@pytest.fixture(scope="module")
def long_series(series) -> dict[str, np.ndarray]:
    """Forward, backward, forward: each join repeats its bar once, so the path never jumps."""
    return {k: np.concatenate([v, v[::-1][1:], v[1:]]) for k, v in series.items()}


def _windows_panel(values: np.ndarray, ends, bars: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(L, E) panel whose column e is the trailing window ending at ends[e] (the whole prefix when
    `bars` is None or longer than the history), bottom-aligned, NaN above; and per column the
    history row of panel row 0 (what an index output's window row is shifted by)."""
    starts = [0 if bars is None else max(0, t + 1 - bars) for t in ends]
    length = max(t + 1 - s for t, s in zip(ends, starts, strict=True))
    panel = np.full((length, len(ends)), np.nan)
    for e, (t, s) in enumerate(zip(ends, starts, strict=True)):
        panel[length - (t + 1 - s) :, e] = values[s : t + 1]
    first_rows = np.array([t + 1 - length for t in ends])
    return panel, first_rows


def _compare(spec, params, fields, ends, bars) -> list[tuple[str, int, float, float]]:
    """(output, t, incremental, full) wherever the last value over the trailing `bars` (None: the
    whole prefix) differs from the full-history value at t beyond RTOL."""
    full = feature_compute(spec, params, {f: fields[f][:, None] for f in spec.inputs})
    if extra_spec(spec.name) is spec:  # one call per end point: the benchmark is one shared column
        last = {o: np.empty(len(ends)) for o in spec.outputs}
        for e, t in enumerate(ends):
            s = 0 if bars is None else max(0, t + 1 - bars)
            window = {f: fields[f][s : t + 1] for f in spec.inputs}
            window = {f: v if f == "benchmark" else v[:, None] for f, v in window.items()}
            for o, values in feature_compute(spec, params, window).items():
                last[o][e] = values[-1, 0]
    else:
        panels = {f: _windows_panel(fields[f], ends, bars) for f in spec.inputs}
        first_rows = next(iter(panels.values()))[1]
        got = feature_compute(spec, params, {f: p for f, (p, _) in panels.items()})
        got = index_outputs_shift(spec, got, first_rows)
        last = {o: values[-1] for o, values in got.items()}
    broken = []
    for o in spec.outputs:
        for e, t in enumerate(ends):
            a, b = float(last[o][e]), float(full[o][t, 0])
            if not (a == b or (math.isnan(a) and math.isnan(b)) or abs(a - b) <= RTOL * abs(b)):
                broken.append((o, t, a, b))
    return broken


def _check(spec, params, series, scaled, long_series):
    params = feature_params_resolve(spec, params)
    bars = lookback_bars(spec, params)
    fields = scaled if spec.name in OUT_OF_DOMAIN_ON_PRICES else series
    ends = ENDS
    if bars is not None and bars > ENDS[-1] + 1 - 600:  # too long for most end points: the long path
        fields, ends = long_series, LONG_ENDS
    assert bars is None or bars <= ends[-1] + 1, f"{spec.name}{params}: {bars} bars, not checked"
    assert _compare(spec, params, fields, ends, bars) == [], (spec.name, params, bars)


@pytest.mark.parametrize("name", NAMES)
def test_every_catalogue_function_with_defaults(series, scaled, long_series, name):
    _check(function_spec(name), {}, series, scaled, long_series)


@pytest.mark.parametrize(("name", "params"), NON_DEFAULT, ids=lambda x: str(x))
def test_non_default_parameters(series, scaled, long_series, name, params):
    _check(function_spec(name), params, series, scaled, long_series)


@pytest.mark.parametrize(("name", "params"), EXTRA_CASES, ids=lambda x: str(x))
def test_every_extra(series, scaled, long_series, name, params):
    spec = extra_spec(name)
    _check(spec, params, series, scaled, long_series)
    # The window is tight: the kernel's warm-up on real data is exactly bars - 1 leading NaN rows.
    out = EXTRA_KERNELS[name](
        *(series[f][:, None] for f in spec.inputs), **feature_params_resolve(spec, params)
    )
    first = int(np.argmax(np.isfinite(out[:, 0])))
    assert first - (1 if "returns" in spec.inputs else 0) == lookback_bars(spec, params) - 1


# --- the check can fail ----------------------------------------------------------------------------


def test_a_too_short_window_breaks_an_ema(series):
    spec = function_spec("EMA")
    bars = lookback_bars(spec, {"timeperiod": 30})
    short = bars - incremental.ema_settle(30) * 3 // 4  # the seed keeps ~1e-4 of its weight
    broken = _compare(spec, {"timeperiod": 30}, series, ENDS, short)
    assert [t for _, t, _, _ in broken] == list(ENDS)
    assert _compare(spec, {"timeperiod": 30}, series, ENDS, bars) == []


def test_one_bar_short_of_a_window_computes_nothing(series):
    spec = function_spec("SMA")
    broken = _compare(spec, {}, series, ENDS, lookback_bars(spec) - 1)
    assert len(broken) == len(ENDS) and all(math.isnan(a) for _, _, a, _ in broken)


@pytest.mark.parametrize("name", ACCUMULATIONS)
def test_accumulations_need_the_whole_history(series, name):
    """Where TA-Lib itself forbids a bounded window: 2,000 bars of an accumulation miss the rest."""
    spec = function_spec(name)
    assert lookback_bars(spec) is None and "accumulation" in FULL_HISTORY[name]
    ends = [t for t in ENDS if t >= 2500]
    assert len(_compare(spec, {}, series, ends, 2000)) == len(ends)


def test_the_index_shift_is_needed(series):
    spec = function_spec("MAXINDEX")
    panel, first_rows = _windows_panel(series["close"], ENDS, lookback_bars(spec))
    raw = feature_compute(spec, {}, {"close": panel})["integer"][-1]
    full = feature_compute(spec, {}, {"close": series["close"][:, None]})["integer"][list(ENDS), 0]
    assert not np.any(raw == full)
    np.testing.assert_array_equal(index_outputs_shift(spec, {"integer": raw}, first_rows)["integer"], full)


# --- the numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [2 / 31, 1 / 14, 0.5, 2 / 201, (2 / 31) ** 2, 0.999])
def test_settle_is_the_first_k_where_the_seed_weight_is_small_enough(alpha):
    weight, k = 1.0, 0
    while weight > SEED_WEIGHT:  # counted by hand, one bar at a time
        weight *= 1.0 - alpha
        k += 1
    assert incremental.settle(alpha) == k
    assert incremental.settle(1.0) == 0


def test_worked_lookbacks():
    # EMA(30): TA-Lib's 29 + 1 + ceil(ln 1e-15 / ln(29/31)) = 30 + 518.
    assert lookback_bars(function_spec("EMA")) == 548
    # SMA(30), a window: TA-Lib's lookback 29 + 1.
    assert lookback_bars(function_spec("SMA")) == 30
    # RSI(14): 14 + 1 + ceil(ln 1e-15 / ln(13/14)) = 15 + 467.
    assert lookback_bars(function_spec("RSI")) == 482
    # MACD(12, 26, 9): 33 + 1 + settle(2/27) + settle(2/10) = 34 + 449 + 155.
    assert lookback_bars(function_spec("MACD")) == 34 + 449 + 155
    # HA: one pole at 1/2, 2^-50 < 1e-15 < 2^-49.
    assert lookback_bars(function_spec("HA")) == 0 + 1 + 50
    assert lookback_bars(extra_spec("close_to_close_volatility"), {"window": 20}) == 21
    assert lookback_bars(extra_spec("adv"), {"window": 20}) == 20


def test_ma_types_follow_the_dispatch():
    spec = function_spec("MA")
    by_type = {
        label: lookback_bars(spec, {"timeperiod": 25, "matype": code})
        for code, label in spec.param("matype").choices
    }
    assert by_type["SMA"] == by_type["WMA"] == 25 and by_type["DISABLED"] == 1
    assert by_type["DEFAULT"] == by_type["SMA"] and by_type["MAMA"] is None
    e = incremental.ema_settle(25)
    assert by_type["EMA"] == 25 + e and by_type["DEMA"] == 49 + 2 * e and by_type["TEMA"] == 73 + 3 * e
    assert by_type["RMA"] == 25 + incremental.wilder_settle(25)
    assert lookback_bars(spec, {"timeperiod": 1, "matype": 1}) == 1  # any type at period 1: identity
    assert lookback_bars(function_spec("STOCH"), {"slowd_matype": 7}) is None  # MAMA anywhere: no bound


# --- the classification ----------------------------------------------------------------------------


def test_every_function_is_classified_and_the_lists_are_disjoint():
    families = {name: classification(function_spec(name)) for name in NAMES}
    assert set(families.values()) == {"window", "recursive", "full history"}
    lists = [set(FULL_HISTORY), set(incremental.RECURSIVE_FUNCTIONS), set(incremental.WINDOW_FUNCTIONS)]
    assert sum(map(len, lists)) == len(set().union(*lists))
    assert set().union(*lists) <= set(NAMES)  # no stale names
    grouped = {s.name for s in catalog() if s.group in incremental.WINDOW_GROUPS}
    assert not grouped & (set(FULL_HISTORY) | incremental.RECURSIVE_FUNCTIONS)


def test_an_unclassified_function_is_refused():
    new = dataclasses.replace(function_spec("SMA"), name="NEWMA", group="Overlap Studies")
    with pytest.raises(Unclassified, match="NEWMA"):
        lookback_bars(new)


def test_talib_unstable_flag_is_never_classified_as_a_window():
    flagged = {s.name for s in catalog() if s.has_unstable_period}
    assert flagged and all(classification(function_spec(n)) != "window" for n in flagged)


def test_every_ma_type_has_a_rule():
    labels = {label for s in catalog() for p in s.parameters if p.kind == "matype" for _, label in p.choices}
    assert labels == set(incremental.MA_TYPE_RULES)
    assert len(labels) == len(talib.MA_Type._lookup)


@pytest.mark.parametrize(
    "name", sorted({s.name for s in catalog() if any(p.kind == "matype" for p in s.parameters)})
)
def test_default_ma_type_is_the_parameters_default(series, name):
    """DEFAULT resolves to the parameter's metadata default: TA-Lib computes the same values."""
    spec = function_spec(name)
    fields = {f: np.ascontiguousarray(series[f][-800:]) for f in spec.inputs}
    for p in (p for p in spec.parameters if p.kind == "matype"):
        a = getattr(talib, name)(*fields.values(), **{p.name: int(talib.MA_Type.DEFAULT)})
        b = getattr(talib, name)(*fields.values(), **{p.name: p.default})
        for x, y in zip(
            a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,), strict=True
        ):
            np.testing.assert_array_equal(x, y)


def test_every_extra_is_classified():
    assert set(EXTRA_NAMES) == incremental.EXTRA_FUNCTIONS
    assert all(classification(extra_spec(n)) == "extra" for n in EXTRA_NAMES)


def test_index_shift_by_hand():
    spec = function_spec("MINMAXINDEX")
    out = {
        "minidx": np.array([[np.nan, np.nan], [0.0, 1.0]]),
        "maxidx": np.array([[np.nan, 2.0], [1.0, 0.0]]),
    }
    got = index_outputs_shift(spec, out, np.array([10, 100]))
    np.testing.assert_array_equal(got["minidx"], [[np.nan, np.nan], [10.0, 101.0]])
    np.testing.assert_array_equal(got["maxidx"], [[np.nan, 102.0], [11.0, 100.0]])
    assert INDEX_FUNCTIONS == {"MAXINDEX", "MININDEX", "MINMAXINDEX"}
    sma = {"real": np.array([1.0, 2.0])}
    assert index_outputs_shift(function_spec("SMA"), sma, 10)["real"] is sma["real"]


@pytest.mark.parametrize("name", sorted(INDEX_FUNCTIONS))
def test_index_ties_flag_exactly_where_a_window_can_disagree(name):
    """On prices with many ties (integers 0..4), the window's index differs from the full history's
    only where the window holds a tied extreme, and `index_ties` flags every such window."""
    spec = function_spec(name)
    x = np.random.default_rng(3).integers(0, 5, 600).astype(np.float64)
    params = {"timeperiod": 10}
    bars = lookback_bars(spec, params)
    ends = list(range(100, 600))
    broken = {t for _, t, _, _ in _compare(spec, params, {"close": x}, ends, bars)}
    panel, _ = _windows_panel(x, ends, bars)
    tied = index_ties(spec, params, {"close": panel})
    assert broken and broken <= {t for t, flag in zip(ends, tied, strict=True) if flag}
    assert not index_ties(function_spec("MAX"), {}, {"close": panel}).any()
