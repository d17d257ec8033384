"""The contract between the factor expression language and its operators.

An operator is data: a name, the kinds of its arguments, a vectorized kernel over a time x
instrument panel, and how much history its output needs. The parser checks a formula against
these specs (arity, argument kinds, windows) and the evaluator calls the kernels; neither knows
any operator by name, so adding one is adding a spec to the registry.

Panels are float64 arrays of shape (T, N): rows are dates in ascending order, columns are
instruments. NaN means "no value" everywhere (missing bar, warm-up, undefined result); booleans
are 1.0 / 0.0 with NaN where an input is NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

ArgKind = Literal["series", "number", "window", "group"]
"""
- series: a (T, N) float64 panel; a number given here is broadcast by the evaluator.
- number: a float constant written in the formula.
- window: a count of rows, written as a number in the formula; non-integers are floored (the 101
  alphas write windows like 9.5) and the result must be >= 1 (the parser reports it otherwise).
- group: a (T, N) int64 panel of labels (sector, industry), -1 where unknown.
"""

Category = Literal["elementwise", "time_series", "cross_section"]


@dataclass(frozen=True, kw_only=True)
class Arg:
    name: str
    kind: ArgKind
    default: float | None = None  # an argument with a default may be omitted (trailing only)


@dataclass(frozen=True, kw_only=True)
class OperatorSpec:
    name: str  # canonical lower_snake name used in stored formulas, e.g. "ts_mean"
    category: Category
    args: tuple[Arg, ...]
    # Called positionally in `args` order: series -> (T, N) float64, number -> float,
    # window -> int, group -> (T, N) int64. Returns a new (T, N) float64 array; never mutates
    # its inputs (the evaluator shares sub-expression results between formulas).
    kernel: Callable[..., object]
    # Extra rows of history the output at row t needs beyond row t itself, given the window and
    # number arguments by name (ts_mean over 20 rows -> 19, delay by 5 -> 5, rank -> 0), or
    # UNBOUNDED when the output depends on the whole history (an exponential average).
    lookback: Callable[[Mapping[str, float]], int]
    variadic: bool = False  # the last argument may repeat (cs_residual(x, y1, y2, ...)); at least once
    aliases: tuple[str, ...] = ()  # other spellings accepted by the parser (Qlib's "Mean", "sma")
    doc: str = ""  # what it computes and its exact NaN and window semantics (API and README)

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


UNBOUNDED = -1


def no_lookback(_: Mapping[str, float]) -> int:
    return 0


def window_minus_one(args: Mapping[str, float]) -> int:
    """The usual look-back of a rolling operator over its `window` argument."""
    return int(args["window"]) - 1
