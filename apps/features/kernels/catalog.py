"""The TA-Lib catalogue, derived from TA-Lib's own metadata (never a hand-written list).

For every name in `talib.get_functions()` a frozen `FunctionSpec` says which series the function
reads, which parameters it takes (default, kind, TA-Lib's own allowed range), which outputs it
returns, its group and TA-Lib's flags (e.g. "Function has an unstable period").

Where each piece comes from:
- name, group, display name, flags, inputs, parameter defaults, outputs: `talib.abstract.Function(name)`.
- parameter ranges: the Python wrapper's `_ta_getOptInputParameterInfo` drops the C struct's `dataSet`
  (the `TA_RealRange` / `TA_IntegerRange` / `TA_IntegerList` holding min/max or the allowed values),
  so we read that struct with ctypes from the very C library the wrapper links (`TA_GetFuncHandle`,
  `TA_GetOptInputParameterInfo` of ta_abstract.h). If that library cannot be found (an unusual
  install), `_FALLBACK_RANGE` gives the C library's documented ranges instead.

Inputs: TA-Lib has "price" inputs (named OHLCV fields, e.g. CDLDOJI reads open/high/low/close) and
generic "real" inputs (any series). A generic real input is bound to the series TA-Lib's abstract API
binds it to by default: "close" for a single real input, "high" and "low" for the two-series
operators (ADD, SUB, MULT, DIV, BETA, CORREL), and a "periods" series for MAVP (not an OHLCV field:
the caller supplies it). `input_kind` is "real" when any input is such a generic series, else "price".

No Django here (kernels are pure).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import difflib
import glob
import math
import numbers
import os
from dataclasses import dataclass
from functools import cache
from typing import Literal

import talib
from talib import _ta_lib, abstract

ParamKind = Literal["integer", "real", "matype"]
InputKind = Literal["price", "real"]

# TA_OptInputParameterType (ta_abstract.h).
_REAL_RANGE, _REAL_LIST, _INTEGER_RANGE, _INTEGER_LIST = 0, 1, 2, 3

# Only used if the C library cannot be opened with ctypes: the ranges TA-Lib's C sources declare
# (ta_abstract/tables): periods 1 or 2 .. 100000 (we take the looser 1; TA-Lib itself still rejects a
# bad 1 with TA_BAD_PARAM), reals +-3e37 (TA_REAL_MIN/MAX), MA types 0..8 (SMA..T3).
_FALLBACK_RANGE = {
    "integer": (1, 100000),
    "real": (-3e37, 3e37),
    "matype": (0, 8),
}


class UnknownFunction(ValueError):
    """A function name TA-Lib does not have; the message lists a few close names."""

    def __init__(self, name: str, close: tuple[str, ...]):
        self.name = name
        self.close = close
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        super().__init__(f"unknown TA-Lib function {name!r}{hint}")


class BadParameter(ValueError):
    """A parameter that is unknown, of the wrong type or out of TA-Lib's range.

    `field` is the parameter's name; `allowed` the allowed names (unknown parameter), the allowed
    range `(minimum, maximum)` or the allowed MA type codes.
    """

    def __init__(self, field: str, message: str, allowed: object = None):
        self.field = field
        self.allowed = allowed
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class ParamSpec:
    """One optional input of a TA-Lib function, with TA-Lib's own default and inclusive range.

    `choices` is only set for "matype" parameters: the (code, label) pairs TA-Lib accepts.
    """

    name: str
    default: float | int
    kind: ParamKind
    minimum: float | int
    maximum: float | int
    display_name: str = ""
    help: str = ""
    choices: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class FunctionSpec:
    """One TA-Lib function: what it reads, its parameters, its outputs (all derived from TA-Lib)."""

    name: str
    group: str
    display_name: str
    inputs: tuple[str, ...]
    input_kind: InputKind
    parameters: tuple[ParamSpec, ...]
    outputs: tuple[str, ...]
    flags: tuple[str, ...]

    @property
    def has_unstable_period(self) -> bool:
        """TA-Lib says early values depend on how far back the series starts (EMA-like memory)."""
        return "Function has an unstable period" in self.flags

    @property
    def can_be_nan_or_inf(self) -> bool:
        """TA-Lib says the output may be NaN or infinite for valid inputs (ACOS of 2, EXP of 1000...)."""
        return "Output can be NaN or infinite" in self.flags

    def param(self, name: str) -> ParamSpec:
        for p in self.parameters:
            if p.name == name:
                return p
        raise BadParameter(name, f"unknown parameter; allowed: {self.param_names}", self.param_names)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)


# --- reading the C library's parameter ranges ---------------------------------------------------


class _OptInputInfo(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("paramName", ctypes.c_char_p),
        ("flags", ctypes.c_int),
        ("displayName", ctypes.c_char_p),
        ("dataSet", ctypes.c_void_p),
        ("defaultValue", ctypes.c_double),
        ("hint", ctypes.c_char_p),
        ("helpFile", ctypes.c_char_p),
    ]


class _RealRange(ctypes.Structure):
    _fields_ = [("min", ctypes.c_double), ("max", ctypes.c_double)]


class _IntegerRange(ctypes.Structure):
    _fields_ = [("min", ctypes.c_int), ("max", ctypes.c_int)]


class _IntegerPair(ctypes.Structure):
    _fields_ = [("value", ctypes.c_int), ("string", ctypes.c_char_p)]


class _IntegerList(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(_IntegerPair)), ("nbElement", ctypes.c_uint)]


@cache
def _c_library() -> ctypes.CDLL | None:
    """The TA-Lib C library the wrapper uses: bundled next to the package (wheels) or system-wide."""
    here = os.path.dirname(talib.__file__)
    candidates = sorted(glob.glob(os.path.join(here, "..", "ta_lib.libs", "libta*lib*.so*")))
    candidates += sorted(glob.glob(os.path.join(here, "..", "ta_lib.libs", "*.dylib")))
    for name in ("ta-lib", "ta_lib", "ta_libc_cdr"):
        found = ctypes.util.find_library(name)
        if found:
            candidates.append(found)
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
            lib.TA_GetFuncHandle.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
            lib.TA_GetOptInputParameterInfo.argtypes = [
                ctypes.c_void_p,
                ctypes.c_uint,
                ctypes.POINTER(ctypes.POINTER(_OptInputInfo)),
            ]
            return lib
        except (OSError, AttributeError):
            continue
    return None


def _c_ranges(name: str, count: int) -> list[tuple[float, float, tuple[tuple[int, str], ...]]] | None:
    """(minimum, maximum, choices) of each optional input, as the C library declares them."""
    lib = _c_library()
    if lib is None:
        return None
    handle = ctypes.c_void_p()
    if lib.TA_GetFuncHandle(name.encode(), ctypes.byref(handle)) != 0:
        return None
    ranges = []
    for i in range(count):
        info = ctypes.POINTER(_OptInputInfo)()
        if lib.TA_GetOptInputParameterInfo(handle, i, ctypes.byref(info)) != 0 or not info.contents.dataSet:
            return None
        kind, data = info.contents.type, info.contents.dataSet
        if kind == _REAL_RANGE:
            r = ctypes.cast(data, ctypes.POINTER(_RealRange)).contents
            ranges.append((float(r.min), float(r.max), ()))
        elif kind == _INTEGER_RANGE:
            r = ctypes.cast(data, ctypes.POINTER(_IntegerRange)).contents
            ranges.append((int(r.min), int(r.max), ()))
        elif kind == _INTEGER_LIST:
            lst = ctypes.cast(data, ctypes.POINTER(_IntegerList)).contents
            pairs = tuple((int(lst.data[k].value), lst.data[k].string.decode()) for k in range(lst.nbElement))
            values = [v for v, _ in pairs]
            ranges.append((min(values), max(values), pairs))
        else:  # _REAL_LIST: no TA-Lib function uses it today
            return None
    return ranges


# --- building the catalogue ------------------------------------------------------------------------

_KIND_BY_TYPE: dict[int, ParamKind] = {
    _REAL_RANGE: "real",
    _REAL_LIST: "real",
    _INTEGER_RANGE: "integer",
    _INTEGER_LIST: "matype",
}
_MA_TYPES = tuple((int(code), label) for code, label in sorted(talib.MA_Type._lookup.items()))


def _inputs(abstract_inputs: dict) -> tuple[tuple[str, ...], InputKind]:
    """Flatten the abstract API's input map ({'prices': [...], 'price': 'close'...}) in its order."""
    fields: list[str] = []
    kind: InputKind = "price"
    for value in abstract_inputs.values():
        if isinstance(value, list | tuple):  # a TA_Input_Price: named OHLCV fields
            fields.extend(value)
        else:  # a TA_Input_Real: a generic series, bound by default to `value`
            fields.append(value)
            kind = "real"
    return tuple(fields), kind


def _function_spec(name: str) -> FunctionSpec:
    fn = abstract.Function(name)
    info = fn.info
    raw = name.encode()
    count = _ta_lib._ta_getFuncInfo(raw)["num_opt_inputs"]
    opt_infos = [_ta_lib._ta_getOptInputParameterInfo(raw, i) for i in range(count)]
    ranges = _c_ranges(name, count)
    params = []
    for i, opt in enumerate(opt_infos):
        kind = _KIND_BY_TYPE[opt["type"]]
        if ranges is not None:
            minimum, maximum, choices = ranges[i]
        else:
            minimum, maximum = _FALLBACK_RANGE[kind]
            choices = _MA_TYPES if kind == "matype" else ()
        default = info["parameters"][opt["name"]]
        params.append(
            ParamSpec(
                name=opt["name"],
                default=float(default) if kind == "real" else int(default),
                kind=kind,
                minimum=minimum,
                maximum=maximum,
                display_name=opt["display_name"],
                help=opt["help"],
                choices=choices,
            )
        )
    inputs, input_kind = _inputs(info["input_names"])
    return FunctionSpec(
        name=name,
        group=info["group"],
        display_name=info["display_name"],
        inputs=inputs,
        input_kind=input_kind,
        parameters=tuple(params),
        outputs=tuple(info["output_names"]),
        flags=tuple(info["function_flags"] or ()),
    )


@cache
def catalog() -> tuple[FunctionSpec, ...]:
    """Every TA-Lib function, in `talib.get_functions()` order (built once per process)."""
    return tuple(_function_spec(name) for name in talib.get_functions())


@cache
def _by_name() -> dict[str, FunctionSpec]:
    return {spec.name: spec for spec in catalog()}


def function_spec(name: str) -> FunctionSpec:
    """The spec of one function, by name in any case; `UnknownFunction` (a ValueError) otherwise."""
    key = str(name).strip().upper()
    spec = _by_name().get(key)
    if spec is None:
        close = tuple(difflib.get_close_matches(key, _by_name().keys(), n=5, cutoff=0.5))
        raise UnknownFunction(str(name), close)
    return spec


def groups() -> tuple[str, ...]:
    """TA-Lib's function groups, in TA-Lib's order."""
    return tuple(talib.get_function_groups().keys())


# --- validating parameters ---------------------------------------------------------------------


def _as_integer(param: ParamSpec, value: object) -> int:
    # bool is an int subclass but `True` as a period is a caller's mistake, not a 1.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise BadParameter(param.name, f"expected an integer, got {value!r}", (param.minimum, param.maximum))
    if isinstance(value, numbers.Integral):
        return int(value)
    # An integral float (14.0, as JSON may carry it) is accepted; 14.5 is not.
    if math.isfinite(float(value)) and float(value).is_integer():
        return int(value)
    raise BadParameter(param.name, f"expected an integer, got {value!r}", (param.minimum, param.maximum))


def _as_real(param: ParamSpec, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise BadParameter(
            param.name, f"expected a finite number, got {value!r}", (param.minimum, param.maximum)
        )
    return float(value)


def param_resolve(param: ParamSpec, value: object) -> int | float:
    """One parameter's value checked against its kind and range (BadParameter otherwise); shared by
    the TA-Lib catalogue and the engine's own kernels (kernels/extra.py)."""
    if param.kind == "matype":
        code = _as_integer(param, value)
        allowed = tuple(c for c, _ in param.choices)
        if code not in allowed:
            labels = ", ".join(f"{c}={label}" for c, label in param.choices)
            raise BadParameter(param.name, f"{code} is not a moving-average type; allowed: {labels}", allowed)
        return code
    resolved = _as_integer(param, value) if param.kind == "integer" else _as_real(param, value)
    if not param.minimum <= resolved <= param.maximum:
        raise BadParameter(
            param.name,
            f"{resolved!r} is out of range [{param.minimum}, {param.maximum}]",
            (param.minimum, param.maximum),
        )
    return resolved


def params_resolve(spec: FunctionSpec, given: dict | None) -> dict[str, int | float]:
    """All of `spec`'s parameters, in TA-Lib's order: the given ones checked, the others defaulted.

    Names are matched case-insensitively. Raises `BadParameter` (a ValueError with `.field`) for an
    unknown name (allowed names in `.allowed`), a wrong type or a value outside TA-Lib's range.
    """
    given = {str(k).lower(): v for k, v in (given or {}).items()}
    unknown = sorted(set(given) - set(spec.param_names))
    if unknown:
        allowed = ", ".join(spec.param_names) or "none"
        raise BadParameter(
            unknown[0], f"unknown parameter of {spec.name}; allowed: {allowed}", spec.param_names
        )
    resolved = {
        p.name: param_resolve(p, given[p.name]) if p.name in given else p.default for p in spec.parameters
    }
    # Some limits span parameters (MAVP: minperiod <= maxperiod) and TA-Lib's metadata does not declare
    # them; TA-Lib's own lookback answers -1 for any parameter set its C code would reject, so ask it.
    if resolved and talib_lookback(spec.name, tuple(resolved.items())) < 0:
        names = [p.name for p in spec.parameters if p.name in given] or list(spec.param_names)
        shown = ", ".join(f"{n}={resolved[n]!r}" for n in names)
        raise BadParameter(names[0], f"TA-Lib rejects {spec.name} with {shown} (parameters inconsistent)")
    return resolved


@cache
def talib_lookback(name: str, items: tuple[tuple[str, int | float], ...]) -> int:
    """TA-Lib's own lookback (warm-up length) for `name` with these parameters; -1 if TA-Lib rejects them."""
    fn = abstract.Function(name)
    fn.set_parameters(dict(items))
    return int(fn.lookback)
