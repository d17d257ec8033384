"""The parse tree: what the formula says, before any operator or field is resolved.

Nodes compare by structure only (spans are excluded from equality), so tests and callers can write
the tree they expect; every node still knows where it came from in the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """Characters [start, end) of the formula text."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return max(1, self.end - self.start)

    def to(self, other: Span) -> Span:
        return Span(min(self.start, other.start), max(self.end, other.end))


NO_SPAN = Span(0, 0)


@dataclass(frozen=True)
class Number:
    value: float
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Field:
    """A data field, by name without the `$` (`$f.rsi_14` -> "f.rsi_14")."""

    name: str
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Call:
    """An operator applied to arguments, written as a call (`ts_mean($close, 5)`, `op` as written)
    or with infix syntax (`a + b` -> op "add"; `op_span` is then the operator symbol)."""

    op: str
    args: tuple[Node, ...]
    span: Span = field(default=NO_SPAN, compare=False)
    op_span: Span = field(default=NO_SPAN, compare=False)
    infix: str = field(default="", compare=False)  # the symbol when written infix, for messages


Node = Number | Field | Call
