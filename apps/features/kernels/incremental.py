"""How many trailing bars a new bar's feature value needs: a bounded look-back for incremental updates.

When bar t arrives, the engine recomputes a feature for t alone by feeding the function the last
`lookback_bars(spec, params)` bars (ending at t, inclusive) and keeping the last value. That value
equals the one computed over the instrument's whole stored history to 1e-9 relative. `None` means no
bounded window can promise that: feed the whole stored history (the module constant `FULL_HISTORY`
says why, per function; that is where TA-Lib itself forbids a bounded window).

Why a window suffices, per family (`n` a period, `settle(a)` the bars a one-pole smoother with
coefficient a needs before its seed's weight (1 - a)^k is below `SEED_WEIGHT`):

| family | functions | bars fed | why |
|---|---|---|---|
| pointwise, window | ADD, SMA, MAX, MFI, CCI, STDDEV, every CDL*, every math transform ... | lookback + 1 | the value reads the last lookback + 1 bars and nothing older (MFI sums money flow over n bars: no smoothing) |
| EMA kernel | EMA, ZLEMA, CVI, EFI, ERI, ADOSC, MACD, MACDFIX, TSI, SMI, MASSI, DEMA, TEMA, TRIX, T3 | lookback + 1 + settle(2/(n+1)) per stage in sequence | one pole at 1 - 2/(n+1); stages in sequence add, legs side by side take the longer |
| Wilder kernel | RMA, ATR, NATR, RSI, CMO, RVI, +-DM, +-DI, DX; ADX, ADXR (two stages); KC's ATR leg | lookback + 1 + settle(1/n) per stage | one pole at 1 - 1/n (Wilder's running sums decay the same way) |
| MA-type dispatch | MA, APO, PPO, PVO, BBANDS, STOCH, STOCHF, STOCHRSI, KDJ, MACDEXT, MAVP | by MA type (`_MA_RULES`) | SMA/WMA/TRIMA/HMA are windows, EMA/ZLEMA/DEMA/TEMA/T3/RMA/KAMA the kernels here, MAMA has no bound |
| KAMA | KAMA, MA type KAMA | lookback + 1 + settle((2/31)^2), ~8,300 bars | its coefficient (ER (2/3 - 2/31) + 2/31)^2 never falls below (2/31)^2, whatever the data; real series settle several times sooner, but no bound says so |
| Heikin-Ashi | HA | lookback + 1 + settle(1/2) | HA open is the mean of the previous HA open and close: one pole at 1/2 |
| extras | the 12 beyond-TA-Lib kernels | warm-up + 1 | plain rolling windows over returns or bars |
| no bound | `FULL_HISTORY` | None | see below |

Where TA-Lib itself forbids a bounded window (`FULL_HISTORY`, None):
- accumulations, whose level sums (or multiplies) every bar since the first: AD, OBV, CUMSUM, WAD,
  PVT, NVI, PVI, and VWAP (cumulative price*volume over cumulative volume: the early bars' share
  dilutes as 1/t, never geometrically);
- state machines, whose trend flag, extreme point and ratcheted stop are rewritten only when the
  data crosses them: SAR, SAREXT, SUPERTREND;
- adaptive feedback, where the Hilbert transform's gains depend on its own previous period estimate
  through clamps and a rate limiter (no contraction to bound): HT_DCPERIOD, HT_DCPHASE, HT_PHASOR,
  HT_SINE, HT_TRENDLINE, HT_TRENDMODE, MAMA, and any MA-type parameter set to MAMA.

The families come from TA-Lib's own metadata where it has them: a function flagged "unstable period"
must have a rule (a test holds every flagged one out of the window family), the MA types come from
the MA-type parameter's labels, candlestick patterns and math transforms by group. The rest is listed
explicitly, and a function in none of the lists raises `Unclassified` (a new TA-Lib function fails
the catalogue-wide test until it is classified here).

`SEED_WEIGHT` is 1e-15: the seed's error is at most the input's range over the history, which for a
price-scale output is within ~1e3 of the output's size, and for an oscillator ~1e5; 1e-15 times that
stays well under the 1e-9 promise. A ratio of smoothed states (RSI, DX, CMO, RVI, STOCHRSI...) keeps
that promise while its divisor is alive: on a series that stops moving for thousands of bars both
states decay together and the ratio freezes with its start in it, for any window.

Index outputs (MAXINDEX, MININDEX, MINMAXINDEX) from a window are rows of that window:
`index_outputs_shift` turns them into rows of the instrument's history. One more place TA-Lib forbids
equality: when the window holds two bars equal to its extreme, TA-Lib reports the first of them if
the call started inside the window and (usually) the last if it slid there, so the batch's index
depends on bars before the window. `index_ties` flags those instruments: feed them the full history.
On the S&P 500's closes a 30-bar window holds a tied maximum once in 5,000 bars.

Values of windows that keep running totals (SUM, CORREL, LINEARREG_SLOPE...) agree up to the rounding
of those totals (2e-11 relative at worst measured on the S&P 500), which is no promise for an output
that crosses zero: near zero no relative digit is safe, for any window.

No Django here (kernels are pure).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from .catalog import FunctionSpec, talib_lookback
from .extra import extra_spec
from .functions import feature_params_resolve
from .talib_batch import INDEX_FUNCTIONS

SEED_WEIGHT = 1e-15

# TA-Lib's KAMA smoothing constant is (ER * (2/3 - 2/31) + 2/31)^2 with ER in [0, 1] (kama.c: fastest
# EMA(2), slowest EMA(30), fixed): the slowest it can forget is (2/31)^2 a bar.
KAMA_SLOWEST_ALPHA = (2.0 / 31.0) ** 2

# Functions no bounded window reproduces, and why ("where TA-Lib itself forbids it").
FULL_HISTORY: dict[str, str] = {
    # Accumulations: the level is a sum (or product) over every bar since the series began, so a
    # window's value differs from the full one by the part before the window, forever.
    "AD": "accumulation: Chaikin's A/D line is a running sum from the first bar",
    "OBV": "accumulation: on-balance volume is a running sum from the first bar",
    "CUMSUM": "accumulation: a running sum from the first bar",
    "WAD": "accumulation: Williams' A/D is a running sum from the first bar",
    "PVT": "accumulation: price-volume trend is a running sum from the first bar",
    "NVI": "accumulation: a running product (index level) from the first bar",
    "PVI": "accumulation: a running product (index level) from the first bar",
    "VWAP": "accumulation: cumulative price*volume over cumulative volume since the first bar; "
    "the early bars' share dilutes as 1/t, not geometrically",
    # State machines: the trend flag and ratcheted stop/band are rewritten only when the data
    # crosses them; no parameter bounds when two starts agree.
    "SAR": "state machine: direction, extreme point and acceleration re-synchronise only at a "
    "reversal the data may never make",
    "SAREXT": "state machine: as SAR",
    "SUPERTREND": "state machine: the trend flag and ratcheted bands reset only when price crosses "
    "them (its ATR alone would settle)",
    # Adaptive feedback: the Hilbert transform's gains depend on the previous period estimate,
    # which depends on the transform, through clamps and a rate limiter: no contraction to bound.
    "HT_DCPERIOD": "adaptive feedback: the period estimate feeds its own filter gains",
    "HT_DCPHASE": "adaptive feedback: built on the HT period estimate",
    "HT_PHASOR": "adaptive feedback: built on the HT period estimate",
    "HT_SINE": "adaptive feedback: built on the HT period estimate",
    "HT_TRENDLINE": "adaptive feedback: averages over the HT period estimate",
    "HT_TRENDMODE": "adaptive feedback: built on the HT period estimate",
    "MAMA": "adaptive feedback: its alpha comes from the HT phase (so do MA-type-MAMA callers)",
}

# Finite windows and pointwise functions, outside the groups classified wholesale below: the value
# at t reads the last lookback + 1 bars (running totals differ between starts by rounding only).
WINDOW_FUNCTIONS = frozenset({
    "ADD", "DIV", "MULT", "SUB", "MAX", "MAXINDEX", "MIN", "MININDEX", "MINMAX", "MINMAXINDEX", "SUM",
    "AC", "AO", "AROON", "AROONOSC", "BOP", "CCI", "CMOU", "COPPOCK", "DPO", "ER", "FOSC", "FRACTAL",
    "IMI", "MFI", "MOM", "QSTICK", "ROC", "ROCP", "ROCR", "ROCR100", "ULTOSC", "VHF", "VORTEX", "WILLR",
    "ACCBANDS", "DONCHIAN", "HMA", "MIDPOINT", "MIDPRICE", "SMA", "TRIMA", "VWMA", "WMA",
    "AVGDEV", "AVGPRICE", "MEDPRICE", "TYPPRICE", "WCLPRICE",
    "BETA", "CORREL", "LINEARREG", "LINEARREG_ANGLE", "LINEARREG_INTERCEPT", "LINEARREG_SLOPE",
    "PERCENTILE", "PERCENTRANK", "STDDEV", "TSF", "VAR",
    "ADR", "TRANGE", "CMF", "MARKETFI", "RVOL",
})  # fmt: skip
# TA-Lib groups whose every member is a window: candlestick patterns read a fixed number of bars
# and fixed-period candle averages; math transforms read the bar itself.
WINDOW_GROUPS = frozenset({"Pattern Recognition", "Math Transform"})


class Unclassified(LookupError):
    """A function this module has no rule for (e.g. one a TA-Lib upgrade added): classify it here."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"{name}: no look-back rule; classify it in kernels/incremental.py")


# --- settle lengths -------------------------------------------------------------------------------


def settle(alpha: float) -> int:
    """Bars k after a one-pole smoother's seed (x_t = a u_t + (1 - a) x_{t-1}) until the seed's
    weight (1 - a)^k is at most `SEED_WEIGHT`; 0 when a >= 1 (no memory)."""
    if alpha >= 1.0:
        return 0
    if alpha <= 0.0:
        raise ValueError(f"a smoother with coefficient {alpha!r} never forgets its seed")
    return math.ceil(math.log(SEED_WEIGHT) / math.log1p(-alpha))


def ema_settle(period: int) -> int:
    """EMA kernel: coefficient 2 / (n + 1)."""
    return settle(2.0 / (period + 1.0))


def wilder_settle(period: int) -> int:
    """Wilder's smoothing (RMA, and the running sums of ATR, DM, RSI): coefficient 1 / n."""
    return settle(1.0 / period)


def _kama_settle(_period: int) -> int:
    return settle(KAMA_SLOWEST_ALPHA)


def _no_memory(_period: int) -> int:
    return 0


# MA type (TA-Lib's label) -> settle for period n; None: no bound (MAMA's adaptive feedback).
_MA_RULES: dict[str, Callable[[int], int | None]] = {
    "SMA": _no_memory,
    "WMA": _no_memory,
    "TRIMA": _no_memory,
    "HMA": _no_memory,  # WMAs of WMAs: a window
    "DISABLED": _no_memory,  # identity
    "EMA": ema_settle,
    "ZLEMA": ema_settle,  # an EMA of the de-lagged price 2 x_t - x_{t-lag}
    "DEMA": lambda n: 2 * ema_settle(n),
    "TEMA": lambda n: 3 * ema_settle(n),
    "T3": lambda n: 6 * ema_settle(n),  # six EMA stages in sequence
    "RMA": wilder_settle,
    "KAMA": _kama_settle,
    "MAMA": lambda _n: None,
}
MA_TYPE_RULES = frozenset(_MA_RULES) | {"DEFAULT"}


def _ma_settle(spec: FunctionSpec, params: Mapping, period_name: str, type_name: str) -> int | None:
    """Settle of the MA a function's MA-type parameter picks, at the period parameter's value.

    DEFAULT means "the function's own default type", i.e. the parameter's default in TA-Lib's
    metadata (a test checks TA-Lib computes the same). Any type at period 1 is the identity."""
    param = spec.param(type_name)
    labels = dict(param.choices)
    label = labels.get(int(params[type_name]))
    if label == "DEFAULT":
        label = labels.get(int(param.default))
    if label not in _MA_RULES:
        raise Unclassified(f"{spec.name} with {type_name}={params[type_name]} ({label})")
    period = int(params[period_name])
    return 0 if period <= 1 else _MA_RULES[label](period)


def _chain(*parts: int | None) -> int | None:
    """Stages in sequence: their settles add (each stage forgets its seed, then passes on no more
    than its input's remaining error). None anywhere: no bound."""
    return None if any(p is None for p in parts) else sum(parts)


def _longer(*parts: int | None) -> int | None:
    """Legs side by side over the same window (MACD's fast and slow): the slower one decides."""
    return None if any(p is None for p in parts) else max(parts)


def _slow_pair(p: Mapping) -> int:
    return max(int(p["fastperiod"]), int(p["slowperiod"]))


# name -> settle (bars added to TA-Lib's lookback + 1) for these resolved parameters; None: no bound.
_RULES: dict[str, Callable[[FunctionSpec, Mapping], int | None]] = {
    # EMA kernel
    "EMA": lambda s, p: ema_settle(p["timeperiod"]),
    "ZLEMA": lambda s, p: ema_settle(p["timeperiod"]),
    "DEMA": lambda s, p: 2 * ema_settle(p["timeperiod"]),
    "TEMA": lambda s, p: 3 * ema_settle(p["timeperiod"]),
    "TRIX": lambda s, p: 3 * ema_settle(p["timeperiod"]),  # then a 1-bar rate of change
    "T3": lambda s, p: 6 * ema_settle(p["timeperiod"]),
    "CVI": lambda s, p: ema_settle(p["timeperiod"]),  # EMA of high - low, then a rate of change
    "EFI": lambda s, p: ema_settle(p["timeperiod"]),  # EMA of the force index
    "ERI": lambda s, p: ema_settle(p["timeperiod"]),  # high/low minus an EMA of close
    "MASSI": lambda s, p: 2 * ema_settle(p["fastperiod"]),  # EMA of an EMA of the range, then a sum
    "TSI": lambda s, p: ema_settle(p["firstperiod"]) + ema_settle(p["secondperiod"]),
    "SMI": lambda s, p: (
        ema_settle(p["slowperiod"]) + ema_settle(p["fastperiod"]) + ema_settle(p["signalperiod"])
    ),
    "MACD": lambda s, p: ema_settle(_slow_pair(p)) + ema_settle(p["signalperiod"]),
    # MACDFIX's legs are TA-Lib's fixed 0.15 and 0.075, no slower than an EMA(26).
    "MACDFIX": lambda s, p: ema_settle(26) + ema_settle(p["signalperiod"]),
    # ADOSC: two EMAs of the A/D line seeded on one value. An offset of the line cancels in their
    # difference, so the line's level (unbounded) does not matter, only the slower EMA's seed.
    "ADOSC": lambda s, p: ema_settle(_slow_pair(p)),
    "KC": lambda s, p: _longer(ema_settle(p["timeperiod"]), wilder_settle(p["atrperiod"])),
    # Wilder kernel
    "RMA": lambda s, p: wilder_settle(p["timeperiod"]),
    "ATR": lambda s, p: wilder_settle(p["timeperiod"]),
    "NATR": lambda s, p: wilder_settle(p["timeperiod"]),
    "RSI": lambda s, p: wilder_settle(p["timeperiod"]),
    "CMO": lambda s, p: wilder_settle(p["timeperiod"]),
    "RVI": lambda s, p: wilder_settle(p["timeperiod"]),  # Wilder over a windowed stddev
    "PLUS_DM": lambda s, p: wilder_settle(p["timeperiod"]),
    "MINUS_DM": lambda s, p: wilder_settle(p["timeperiod"]),
    "PLUS_DI": lambda s, p: wilder_settle(p["timeperiod"]),
    "MINUS_DI": lambda s, p: wilder_settle(p["timeperiod"]),
    "DX": lambda s, p: wilder_settle(p["timeperiod"]),
    "ADX": lambda s, p: 2 * wilder_settle(p["timeperiod"]),  # smoothed DM/TR, then smoothed DX
    "ADXR": lambda s, p: 2 * wilder_settle(p["timeperiod"]),  # ADX now and n - 1 bars ago
    # Others with memory
    "KAMA": lambda s, p: settle(KAMA_SLOWEST_ALPHA),
    "HA": lambda s, p: settle(0.5),
    # MA-type dispatch
    "MA": lambda s, p: _ma_settle(s, p, "timeperiod", "matype"),
    "BBANDS": lambda s, p: _ma_settle(s, p, "timeperiod", "matype"),  # the stddev is a window
    "APO": lambda s, p: _ma_settle(s, {**p, "timeperiod": _slow_pair(p)}, "timeperiod", "matype"),
    "PPO": lambda s, p: _ma_settle(s, {**p, "timeperiod": _slow_pair(p)}, "timeperiod", "matype"),
    "PVO": lambda s, p: _ma_settle(s, {**p, "timeperiod": _slow_pair(p)}, "timeperiod", "matype"),
    "MAVP": lambda s, p: _ma_settle(s, {**p, "timeperiod": p["maxperiod"]}, "timeperiod", "matype"),
    "STOCHF": lambda s, p: _ma_settle(s, p, "fastd_period", "fastd_matype"),
    "STOCH": lambda s, p: _chain(
        _ma_settle(s, p, "slowk_period", "slowk_matype"), _ma_settle(s, p, "slowd_period", "slowd_matype")
    ),
    "KDJ": lambda s, p: _chain(
        _ma_settle(s, p, "slowk_period", "slowk_matype"), _ma_settle(s, p, "slowd_period", "slowd_matype")
    ),
    "STOCHRSI": lambda s, p: _chain(
        wilder_settle(p["timeperiod"]), _ma_settle(s, p, "fastd_period", "fastd_matype")
    ),
    "MACDEXT": lambda s, p: _chain(
        _longer(_ma_settle(s, p, "fastperiod", "fastmatype"), _ma_settle(s, p, "slowperiod", "slowmatype")),
        _ma_settle(s, p, "signalperiod", "signalmatype"),
    ),
}
RECURSIVE_FUNCTIONS = frozenset(_RULES)

# The beyond-TA-Lib kernels (extra.py): leading NaN rows ("warm-up") of each, from its parameters, as
# each kernel documents it. All are plain rolling windows, so warm-up + 1 bars are exact.
_EXTRA_WARMUP: dict[str, Callable[[Mapping], int]] = {
    "simple_returns": lambda p: p["periods"],  # close[t] and close[t - periods]
    "log_returns": lambda p: p["periods"],
    "close_to_close_volatility": lambda p: p["window"],  # window returns need window + 1 closes
    "parkinson_volatility": lambda p: p["window"] - 1,  # each bar's own high/low
    "garman_klass_volatility": lambda p: p["window"] - 1,
    "rogers_satchell_volatility": lambda p: p["window"] - 1,
    "yang_zhang_volatility": lambda p: p["window"],  # overnight returns need the previous close
    "rolling_beta": lambda p: p["window"] - 1,  # reads returns, already differenced
    "rolling_correlation": lambda p: p["window"] - 1,
    "adv": lambda p: p["window"] - 1,
    "dollar_volume": lambda p: p["window"] - 1,
    "amihud": lambda p: p["window"],  # |r_i| needs the previous close
    # Fundamental ratios: the bar's close over the figure known at that close (aligned per bar
    # before the kernel sees it), nothing older.
    "price_to_earnings": lambda p: 0,
    "price_to_book": lambda p: 0,
    "earnings_yield": lambda p: 0,
    "dividend_yield": lambda p: 0,
}
EXTRA_FUNCTIONS = frozenset(_EXTRA_WARMUP)


def classification(spec: FunctionSpec) -> str:
    """The family `spec` falls in: "window", "recursive", "full history" or "extra";
    `Unclassified` when none (checked in that order, and a test keeps the lists disjoint)."""
    if extra_spec(spec.name) is spec:
        if spec.name not in _EXTRA_WARMUP:
            raise Unclassified(spec.name)
        return "extra"
    if spec.name in FULL_HISTORY:
        return "full history"
    if spec.name in _RULES:
        return "recursive"
    if spec.name in WINDOW_FUNCTIONS or spec.group in WINDOW_GROUPS:
        return "window"
    raise Unclassified(spec.name)


def lookback_bars(spec: FunctionSpec, params: Mapping | None = None) -> int | None:
    """Trailing bars (ending at the new bar, inclusive) whose last computed value equals the value
    over the full history to 1e-9 relative; None: use the full stored history (see FULL_HISTORY).

    `params` are resolved as the engine resolves them (defaults filled, `BadParameter` if invalid).
    Windows: TA-Lib's lookback + 1. Recursive functions: that plus the settle of their smoothing
    stages for these parameters. Extras: their warm-up + 1. `Unclassified` for an unknown function.
    """
    family = classification(spec)
    resolved = feature_params_resolve(spec, dict(params or {}))
    if family == "extra":
        return int(_EXTRA_WARMUP[spec.name](resolved)) + 1
    if family == "full history":
        return None
    extra = _RULES[spec.name](spec, resolved) if family == "recursive" else 0
    if extra is None:
        return None
    return talib_lookback(spec.name, tuple(resolved.items())) + 1 + extra


def index_outputs_shift(
    spec: FunctionSpec, outputs: Mapping[str, np.ndarray], bars_before: int | np.ndarray
) -> dict[str, np.ndarray]:
    """`outputs` of `spec` computed on a window, with index outputs (MAXINDEX, MININDEX, MINMAXINDEX)
    made rows of the instrument's history: window row + the number of bars before the window.

    `bars_before` is one int, or one per instrument (column) of (T, N) outputs. NaN (warm-up) stays
    NaN; other functions' outputs, and the non-index outputs, are returned unchanged (same arrays)."""
    if spec.name not in INDEX_FUNCTIONS:
        return dict(outputs)
    before = np.asarray(bars_before, dtype=np.float64)
    return {name: np.asarray(values, dtype=np.float64) + before for name, values in outputs.items()}


def index_ties(spec: FunctionSpec, params: Mapping | None, fields: Mapping[str, np.ndarray]) -> np.ndarray:
    """Per instrument (column) of (T, N) window inputs: True where the last bar's window of an index
    function holds its extreme (max for MAXINDEX, min for MININDEX, either for MINMAXINDEX) more than
    once. There TA-Lib's index depends on where the call started: use the full history for that
    instrument. All False for any other function."""
    values = np.asarray(fields[spec.inputs[0]], dtype=np.float64)
    if spec.name not in INDEX_FUNCTIONS:
        return np.zeros(values.shape[1], dtype=bool)
    period = int(feature_params_resolve(spec, dict(params or {}))["timeperiod"])
    window = values[-period:]
    tied = np.zeros(values.shape[1], dtype=bool)
    if spec.name != "MININDEX":
        tied |= (window == np.max(window, axis=0)).sum(axis=0) > 1
    if spec.name != "MAXINDEX":
        tied |= (window == np.min(window, axis=0)).sum(axis=0) > 1
    return tied
