"""The checked tree: operators resolved to their specs, windows as ints, every node named.

Each node carries `key`, a canonical text of what it computes (`ts_mean($close,20)`: canonical
operator names, no spaces, numbers in a stable form), `digest` = sha1 of the key, and `lookback`,
the extra rows of history its value at row t needs (0 for fields and numbers; for an operator its
own look-back plus the largest of its arguments'; UNBOUNDED when any part depends on all history).
Two spellings of the same computation (`Mean($close,5)`, `ts_mean( $close , 5.0 )`) share one key,
which is what the evaluator's sharing and caching are keyed on.
"""

from __future__ import annotations

import hashlib
import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..operators.spec import UNBOUNDED, ArgKind, OperatorSpec
from .nodes import Span


def number_text(value: float) -> str:
    """A stable text for a number: integral values without a fraction (`20`, `-1`), others as
    Python's shortest round-tripping repr (`0.5`, `1e-05`)."""
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def _digest(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()


@dataclass(frozen=True, eq=False)
class Const:
    """A number written in the formula. As a series argument it is broadcast over the panel; as a
    window it is an int (floored, >= 1); as a number argument a float."""

    value: float
    span: Span
    key: str = field(init=False)
    digest: str = field(init=False)
    lookback: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", number_text(self.value))
        object.__setattr__(self, "digest", _digest(self.key))


@dataclass(frozen=True, eq=False)
class FieldRef:
    """A data field: "series" -> (T, N) float64, "group" -> (T, N) int64 labels."""

    name: str
    kind: ArgKind
    span: Span
    key: str = field(init=False)
    digest: str = field(init=False)
    lookback: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"${self.name}")
        object.__setattr__(self, "digest", _digest(self.key))


@dataclass(frozen=True, eq=False)
class Apply:
    """An operator applied to its arguments, with the kind each argument is passed as (`kinds[i]`
    is `spec.args[i].kind`, the variadic last kind repeating). Defaults are filled in, so `args`
    has every argument the kernel takes."""

    spec: OperatorSpec
    args: tuple[CheckedNode, ...]
    kinds: tuple[ArgKind, ...]
    span: Span
    op_span: Span
    key: str = field(init=False)
    digest: str = field(init=False)
    lookback: int = field(init=False)

    def __post_init__(self) -> None:
        key = f"{self.spec.name}({','.join(arg.key for arg in self.args)})"
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "digest", _digest(key))
        object.__setattr__(self, "lookback", _lookback(self))

    def params(self) -> dict[str, float]:
        """The window and number arguments by name, as the spec's `lookback` takes them."""
        names = [a.name for a in self.spec.args]
        out: dict[str, float] = {}
        for i, (arg, kind) in enumerate(zip(self.args, self.kinds, strict=True)):
            if kind in ("window", "number") and isinstance(arg, Const):
                out[names[min(i, len(names) - 1)]] = arg.value
        return out


CheckedNode = Const | FieldRef | Apply


def _lookback(node: Apply) -> int:
    own = node.spec.lookback(node.params())
    if not isinstance(own, numbers.Real) or (own < 0 and own != UNBOUNDED) or math.isnan(own):
        raise ValueError(
            f"operator {node.spec.name}: lookback returned {own!r}, not a count >= 0 or UNBOUNDED"
        )
    children = [arg.lookback for arg in node.args]
    if own == UNBOUNDED or UNBOUNDED in children:
        return UNBOUNDED
    return int(own) + max(children, default=0)


@dataclass(frozen=True, eq=False)
class Checked:
    """One checked formula: its text (empty when checked from a bare tree) and canonical root."""

    source: str
    root: CheckedNode

    @property
    def key(self) -> str:
        return self.root.key

    @property
    def digest(self) -> str:
        return self.root.digest

    @property
    def lookback(self) -> int:
        return self.root.lookback


def lookback(node: Checked | CheckedNode) -> int:
    """Extra rows of history the value at row t needs (UNBOUNDED = all of it)."""
    return node.lookback


def rows_needed(node: Checked | CheckedNode) -> int | None:
    """Rows of data one output row needs (lookback + 1), or None when it needs all history."""
    return None if node.lookback == UNBOUNDED else node.lookback + 1


def walk(node: Checked | CheckedNode) -> Iterator[CheckedNode]:
    """Every node, parents before children (a shared sub-tree is visited at each use)."""
    stack: list[CheckedNode] = [node.root if isinstance(node, Checked) else node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, Apply):
            stack.extend(reversed(current.args))


def fields_used(tree: Checked | CheckedNode) -> frozenset[str]:
    """The names (without `$`) of the fields the formula reads."""
    return frozenset(node.name for node in walk(tree) if isinstance(node, FieldRef))
