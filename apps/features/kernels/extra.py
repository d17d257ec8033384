"""The beyond-TA-Lib kernels a feature definition may name: the ONE registry of them.

Each entry describes its kernel the way `catalog.FunctionSpec` describes a TA-Lib function (so a
definition reads both alike): the series it reads, its parameters with defaults and inclusive ranges,
and its one output (named "real", as TA-Lib names a single output). `EXTRA_KERNELS` maps the name to
the callable; `extra_spec(name)` gives the spec, `extra_params_resolve(spec, given)` checks parameters.

Fundamental ratios (fundamentals.py) read a bar field and a fundamental field, named "fundamental:<field>"
in their inputs (e.g. ("close", "fundamental:eps")): their input kind is "fundamental" and their group
"Fundamentals", so a catalogue shows which stored field each one reads. The caller supplies that input
as the field's point-in-time values aligned on the bars (`fundamentals.fundamentals_aligned`).

Minimums follow the kernels' own checks: a window with a sample variance (ddof=1: close-to-close,
Yang-Zhang, beta, correlation) needs at least 2 bars, a rolling mean at least 1. Maximums are TA-Lib's
own period ceiling (100000), so every window in the engine has the same limit.

No Django here (kernels are pure).
"""

from __future__ import annotations

from collections.abc import Callable

from . import fundamentals, liquidity, relative, returns, volatility
from .catalog import BadParameter, FunctionSpec, ParamSpec, param_resolve
from .fundamentals import fundamental_field, fundamental_input

GROUP = "Beyond TA-Lib"
FUNDAMENTALS_GROUP = "Fundamentals"
_MAX_PERIOD = 100000
OHLC = ("open", "high", "low", "close")


def _window(default: int, minimum: int) -> ParamSpec:
    return ParamSpec("window", default, "integer", minimum, _MAX_PERIOD, "Window", "Bars in each window")


_PERIODS = ParamSpec("periods", 1, "integer", 1, _MAX_PERIOD, "Periods", "Bars between the two prices")
_PER_YEAR = ParamSpec(
    "periods_per_year", 252.0, "real", 1.0, 1e6, "Periods per year", "Annualization factor (252: daily bars)"
)

# name -> (callable, inputs, parameters). Relative kernels read returns (see relative.py), the
# instrument's and one benchmark's.
_REGISTRY: dict[str, tuple[Callable, tuple[str, ...], tuple[ParamSpec, ...]]] = {
    "simple_returns": (returns.simple_returns, ("close",), (_PERIODS,)),
    "log_returns": (returns.log_returns, ("close",), (_PERIODS,)),
    "close_to_close_volatility": (
        volatility.close_to_close_volatility,
        ("close",),
        (_window(20, 2), _PER_YEAR),
    ),
    "parkinson_volatility": (volatility.parkinson_volatility, ("high", "low"), (_window(20, 1), _PER_YEAR)),
    "garman_klass_volatility": (volatility.garman_klass_volatility, OHLC, (_window(20, 1), _PER_YEAR)),
    "rogers_satchell_volatility": (volatility.rogers_satchell_volatility, OHLC, (_window(20, 1), _PER_YEAR)),
    "yang_zhang_volatility": (volatility.yang_zhang_volatility, OHLC, (_window(20, 2), _PER_YEAR)),
    "rolling_beta": (relative.rolling_beta, ("returns", "benchmark"), (_window(60, 2),)),
    "rolling_correlation": (relative.rolling_correlation, ("returns", "benchmark"), (_window(60, 2),)),
    "adv": (liquidity.adv, ("volume",), (_window(20, 1),)),
    "dollar_volume": (liquidity.dollar_volume, ("close", "volume"), (_window(20, 1),)),
    "amihud": (liquidity.amihud, ("close", "volume"), (_window(20, 1),)),
    "price_to_earnings": (fundamentals.price_to_earnings, ("close", fundamental_input("eps")), ()),
    "price_to_book": (fundamentals.price_to_book, ("close", fundamental_input("book_value")), ()),
    "earnings_yield": (fundamentals.earnings_yield, ("close", fundamental_input("eps")), ()),
    "dividend_yield": (
        fundamentals.dividend_yield,
        ("close", fundamental_input("dividend_per_share")),
        (),
    ),
}

EXTRA_KERNELS: dict[str, Callable] = {name: entry[0] for name, entry in _REGISTRY.items()}
EXTRA_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def _spec(name: str) -> FunctionSpec:
    _, inputs, params = _REGISTRY[name]
    reads_fundamentals = any(fundamental_field(i) is not None for i in inputs)
    return FunctionSpec(
        name=name,
        group=FUNDAMENTALS_GROUP if reads_fundamentals else GROUP,
        display_name=name.replace("_", " ").capitalize(),
        inputs=inputs,
        input_kind="fundamental" if reads_fundamentals else "price",
        parameters=params,
        outputs=("real",),
        flags=(),
    )


_SPECS = {name: _spec(name) for name in _REGISTRY}


def extra_specs() -> tuple[FunctionSpec, ...]:
    """Every beyond-TA-Lib kernel's spec, in registry order (what a catalogue lists after TA-Lib's)."""
    return tuple(_SPECS.values())


def extra_spec(name: str) -> FunctionSpec | None:
    """The spec of a beyond-TA-Lib kernel by name in any case, or None when it is not one."""
    return _SPECS.get(str(name).strip().lower())


def extra_params_resolve(spec: FunctionSpec, given: dict | None) -> dict[str, int | float]:
    """All of `spec`'s parameters in its order, the given ones checked as TA-Lib's are (type, range),
    the others defaulted; `BadParameter` (with `.field`) for an unknown name or a bad value."""
    given = {str(k).lower(): v for k, v in (given or {}).items()}
    unknown = sorted(set(given) - set(spec.param_names))
    if unknown:
        allowed = ", ".join(spec.param_names) or "none"
        raise BadParameter(
            unknown[0], f"unknown parameter of {spec.name}; allowed: {allowed}", spec.param_names
        )
    return {
        p.name: param_resolve(p, given[p.name]) if p.name in given else p.default for p in spec.parameters
    }
