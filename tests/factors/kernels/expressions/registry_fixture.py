"""A small operator registry for the expression-language tests (the real one is another module's).

Plain numpy/pandas stand-ins with the contract's NaN rules: comparisons and logic are 1.0/0.0 and
NaN where an input is NaN; rolling operators need a full window; `ema` depends on all history.
`CountingRegistry` wraps every kernel to count its calls, to test sharing and caching.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from apps.factors.kernels.operators.spec import (
    UNBOUNDED,
    Arg,
    OperatorSpec,
    no_lookback,
    window_minus_one,
)

X = Arg(name="x", kind="series")
Y = Arg(name="y", kind="series")
WINDOW = Arg(name="window", kind="window")

FIELDS: dict[str, str] = {
    "close": "series",
    "open": "series",
    "high": "series",
    "low": "series",
    "volume": "series",
    "vwap": "series",
    "f.rsi_14": "series",
    "sector": "group",
}
BARE_101_FIELDS = {**FIELDS, "returns": "series", "adv20": "series"}


def _nan_where_missing(result: np.ndarray, *inputs: np.ndarray) -> np.ndarray:
    missing = np.zeros(result.shape, dtype=bool)
    for value in inputs:
        missing |= np.isnan(value)
    return np.where(missing, np.nan, result)


def _compare(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[..., np.ndarray]:
    return lambda a, b: _nan_where_missing(fn(a, b).astype(float), a, b)


def _ema(x: np.ndarray, window: int) -> np.ndarray:
    return pd.DataFrame(x).ewm(span=window, adjust=False).mean().to_numpy()


def _cs_neutralize(x: np.ndarray, group: np.ndarray) -> np.ndarray:
    out = np.full(x.shape, np.nan)
    for label in np.unique(group[group >= 0]):
        member = (group == label) & ~np.isnan(x)
        sums = np.where(member, x, 0.0).sum(axis=1, keepdims=True)
        counts = member.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore"):
            out = np.where(member, x - sums / counts, out)
    return out


def _cs_residual(y: np.ndarray, *xs: np.ndarray) -> np.ndarray:
    # A stand-in, not a regression: y minus the sum of the regressors, demeaned per row.
    rest = y - np.sum(xs, axis=0)
    return rest - np.nanmean(rest, axis=1, keepdims=True)


def _spec(
    name: str, category: str, args: tuple[Arg, ...], kernel, lookback=no_lookback, **extra
) -> OperatorSpec:
    return OperatorSpec(name=name, category=category, args=args, kernel=kernel, lookback=lookback, **extra)


def _elementwise() -> list[OperatorSpec]:
    binary = {
        "add": np.add,
        "sub": np.subtract,
        "mul": np.multiply,
        "div": np.divide,
        "power": np.power,
    }
    compare = {
        "gt": np.greater,
        "lt": np.less,
        "ge": np.greater_equal,
        "le": np.less_equal,
        "eq": np.equal,
        "ne": np.not_equal,
        "and": lambda a, b: (a != 0) & (b != 0),
        "or": lambda a, b: (a != 0) | (b != 0),
    }
    specs = [_spec(n, "elementwise", (X, Y), lambda a, b, f=f: f(a, b)) for n, f in binary.items()]
    specs += [_spec(n, "elementwise", (X, Y), _compare(f)) for n, f in compare.items()]
    specs += [
        _spec("neg", "elementwise", (X,), np.negative),
        _spec("not", "elementwise", (X,), lambda a: _nan_where_missing((a == 0).astype(float), a)),
        _spec(
            "if_else",
            "elementwise",
            (Arg(name="cond", kind="series"), X, Y),
            lambda c, a, b: np.where(np.isnan(c), np.nan, np.where(c != 0, a, b)),
        ),
        _spec(
            "signed_power",
            "elementwise",
            (X, Arg(name="exponent", kind="number")),
            lambda a, e: np.sign(a) * np.abs(a) ** e,
            aliases=("SignedPower",),
        ),
        _spec(
            "scale",
            "elementwise",
            (X, Arg(name="factor", kind="number", default=2.0)),
            lambda a, k: a * k,
        ),
    ]
    return specs


def _time_series() -> list[OperatorSpec]:
    return [
        _spec(
            "ts_mean",
            "time_series",
            (X, WINDOW),
            lambda x, w: pd.DataFrame(x).rolling(w, min_periods=w).mean().to_numpy(),
            window_minus_one,
            aliases=("Mean", "sma"),
        ),
        _spec(
            "ts_sum",
            "time_series",
            (X, Arg(name="window", kind="window", default=5)),
            lambda x, w: pd.DataFrame(x).rolling(w, min_periods=w).sum().to_numpy(),
            window_minus_one,
        ),
        _spec(
            "delay",
            "time_series",
            (X, Arg(name="periods", kind="window")),
            lambda x, p: pd.DataFrame(x).shift(p).to_numpy(),
            lambda a: int(a["periods"]),
            aliases=("Ref",),
        ),
        _spec("ema", "time_series", (X, WINDOW), _ema, lambda a: UNBOUNDED, aliases=("EMA",)),
    ]


def _cross_section() -> list[OperatorSpec]:
    return [
        _spec(
            "cs_rank",
            "cross_section",
            (X,),
            lambda x: pd.DataFrame(x).rank(axis=1, pct=True).to_numpy(),
            aliases=("rank",),
        ),
        _spec(
            "cs_neutralize",
            "cross_section",
            (X, Arg(name="group", kind="group")),
            _cs_neutralize,
            aliases=("IndNeutralize",),
        ),
        _spec(
            "cs_residual",
            "cross_section",
            (Y, Arg(name="x", kind="series")),
            _cs_residual,
            variadic=True,
        ),
    ]


def make_specs() -> list[OperatorSpec]:
    return _elementwise() + _time_series() + _cross_section()


def lookup_for(specs: list[OperatorSpec]) -> Callable[[str], OperatorSpec | None]:
    """An `operator_named` over `specs`: exact names and aliases (case as written)."""
    table = {name: spec for spec in specs for name in spec.names()}
    return table.get


SPECS = make_specs()
operator_named = lookup_for(SPECS)
OPERATOR_NAMES = tuple(name for spec in SPECS for name in spec.names())


class CountingRegistry:
    """The test registry with every kernel counting its calls in `calls[name]`."""

    def __init__(self, specs: list[OperatorSpec] | None = None) -> None:
        self.calls: Counter[str] = Counter()
        self._table: Mapping[str, OperatorSpec] = {}
        counted = [replace(spec, kernel=self._counted(spec)) for spec in (specs or make_specs())]
        self._table = {name: spec for spec in counted for name in spec.names()}

    def _counted(self, spec: OperatorSpec) -> Callable[..., object]:
        def kernel(*args: object) -> object:
            self.calls[spec.name] += 1
            return spec.kernel(*args)

        return kernel

    def __call__(self, name: str) -> OperatorSpec | None:
        return self._table.get(name)
