"""Elementwise operators: arithmetic, comparisons, logic and conditionals on (T, N) panels.

Every output is a new float64 panel. NaN in any input gives NaN, except where a doc says
otherwise (fill_nan). Division by zero and any ±inf result (overflow, log(0), 0 ** -1) become
NaN. Booleans are 1.0 / 0.0; as inputs, any nonzero value is true.
"""

from __future__ import annotations

import numpy as np

from .panels import finite_or_nan
from .spec import Arg, OperatorSpec, no_lookback

_X = Arg(name="x", kind="series")
_Y = Arg(name="y", kind="series")


def _quiet(fn):
    """Run a numpy expression without warnings (NaN and inf are handled by finite_or_nan)."""

    def kernel(*args):
        with np.errstate(all="ignore"):
            return finite_or_nan(fn(*args))

    kernel.__name__ = fn.__name__
    kernel.__doc__ = fn.__doc__
    return kernel


def _boolean(result: np.ndarray, *inputs: np.ndarray) -> np.ndarray:
    """1.0 / 0.0 from a boolean array, NaN where any input is NaN."""
    out = result.astype(np.float64)
    for x in inputs:
        out[np.isnan(x)] = np.nan
    return out


@_quiet
def add(x, y):
    return np.add(x, y)


@_quiet
def sub(x, y):
    return np.subtract(x, y)


@_quiet
def mul(x, y):
    return np.multiply(x, y)


@_quiet
def div(x, y):
    return np.divide(x, y)


@_quiet
def neg(x):
    return np.negative(x)


@_quiet
def power(x, y):
    return np.power(x, y)


@_quiet
def abs_(x):
    return np.abs(x)


@_quiet
def sign(x):
    return np.sign(x)


@_quiet
def log(x):
    return np.log(x)


@_quiet
def sqrt(x):
    return np.sqrt(x)


@_quiet
def exp(x):
    return np.exp(x)


@_quiet
def signed_power(x, e):
    return np.sign(x) * np.power(np.abs(x), e)


@_quiet
def greater(x, y):
    return np.maximum(x, y)


@_quiet
def less(x, y):
    return np.minimum(x, y)


@_quiet
def gt(x, y):
    return _boolean(np.greater(x, y), x, y)


@_quiet
def ge(x, y):
    return _boolean(np.greater_equal(x, y), x, y)


@_quiet
def lt(x, y):
    return _boolean(np.less(x, y), x, y)


@_quiet
def le(x, y):
    return _boolean(np.less_equal(x, y), x, y)


@_quiet
def eq(x, y):
    return _boolean(np.equal(x, y), x, y)


@_quiet
def ne(x, y):
    return _boolean(np.not_equal(x, y), x, y)


@_quiet
def and_(x, y):
    return _boolean((x != 0) & (y != 0), x, y)


@_quiet
def or_(x, y):
    return _boolean((x != 0) | (y != 0), x, y)


@_quiet
def not_(x):
    return _boolean(x == 0, x)


@_quiet
def if_else(cond, a, b):
    out = np.where(cond != 0, a, b).astype(np.float64)
    out[np.isnan(cond)] = np.nan
    return out


@_quiet
def fill_nan(x, value):
    return np.where(np.isnan(x), value, x)


_INF = "Division by zero and ±inf results become NaN."
_NAN2 = "NaN where either input is NaN."


def _spec(name, kernel, args, doc, aliases=()):
    return OperatorSpec(
        name=name,
        category="elementwise",
        args=args,
        kernel=kernel,
        lookback=no_lookback,
        aliases=aliases,
        doc=doc,
    )


def _comparison(name, kernel, symbol, qlib):
    doc = f"1.0 where x {symbol} y, else 0.0; {_NAN2} (Qlib's {qlib})."
    return _spec(name, kernel, (_X, _Y), doc, (qlib,))


_E = Arg(name="e", kind="number")

SPECS: tuple[OperatorSpec, ...] = (
    _spec("add", add, (_X, _Y), f"x + y (infix `+`). {_NAN2} {_INF}", ("Add",)),
    _spec("sub", sub, (_X, _Y), f"x - y (infix `-`). {_NAN2} {_INF}", ("Sub",)),
    _spec("mul", mul, (_X, _Y), f"x * y (infix `*`). {_NAN2} {_INF}", ("Mul",)),
    _spec("div", div, (_X, _Y), f"x / y (infix `/`); y == 0 gives NaN, never ±inf. {_NAN2}", ("Div",)),
    _spec("neg", neg, (_X,), "-x (unary `-`). NaN stays NaN."),
    _spec(
        "power",
        power,
        (_X, _Y),
        f"x ** y (infix `^`); a negative base with a non-integer exponent gives NaN. {_NAN2} {_INF}",
        ("Power",),
    ),
    _spec("abs", abs_, (_X,), "|x|. NaN stays NaN.", ("Abs",)),
    _spec("sign", sign, (_X,), "-1.0, 0.0 or 1.0 by the sign of x. NaN stays NaN.", ("Sign",)),
    _spec("log", log, (_X,), "Natural logarithm; x <= 0 gives NaN. NaN stays NaN.", ("Log",)),
    _spec("sqrt", sqrt, (_X,), "Square root; x < 0 gives NaN. NaN stays NaN."),
    _spec("exp", exp, (_X,), f"e ** x; overflow gives NaN. NaN stays NaN. {_INF}"),
    _spec(
        "signed_power",
        signed_power,
        (_X, _E),
        f"sign(x) * |x| ** e (the 101 alphas' SignedPower); e is a number. NaN stays NaN. {_INF}",
        ("signedpower", "SignedPower"),
    ),
    _spec(
        "greater",
        greater,
        (_X, _Y),
        f"Elementwise max(x, y) (Qlib's Greater). {_NAN2}",
        ("Greater",),
    ),
    _spec("less", less, (_X, _Y), f"Elementwise min(x, y) (Qlib's Less). {_NAN2}", ("Less",)),
    _comparison("gt", gt, ">", "Gt"),
    _comparison("ge", ge, ">=", "Ge"),
    _comparison("lt", lt, "<", "Lt"),
    _comparison("le", le, "<=", "Le"),
    _comparison("eq", eq, "==", "Eq"),
    _comparison("ne", ne, "!=", "Ne"),
    _spec(
        "and",
        and_,
        (_X, _Y),
        f"1.0 where x and y are both nonzero, else 0.0; {_NAN2}",
        ("And",),
    ),
    _spec(
        "or",
        or_,
        (_X, _Y),
        f"1.0 where x or y is nonzero, else 0.0; {_NAN2}",
        ("Or",),
    ),
    _spec("not", not_, (_X,), "1.0 where x == 0, 0.0 where x is nonzero; NaN stays NaN.", ("Not",)),
    _spec(
        "if_else",
        if_else,
        (Arg(name="cond", kind="series"), Arg(name="a", kind="series"), Arg(name="b", kind="series")),
        "a where cond is nonzero, else b (`cond ? a : b`, Qlib's If). NaN where cond is NaN; "
        "otherwise the chosen branch's value, NaN included (the other branch's NaN does not matter).",
        ("If",),
    ),
    _spec(
        "fill_nan",
        fill_nan,
        (_X, Arg(name="value", kind="number")),
        "x with every NaN replaced by the number `value`; the one operator that turns NaN into a value.",
    ),
)
