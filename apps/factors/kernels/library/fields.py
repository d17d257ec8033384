"""Which data fields a library formula reads, and of which kind.

A library formula names its inputs as `$` fields; the group fields (sector, industry, subindustry
labels) are the ones passed to `cs_neutralize`, every other field is a (T, N) float series.
"""

from __future__ import annotations

from ..expressions import Call, Field, FieldKind, Node, parse

GROUP_FIELDS = frozenset({"sector", "industry", "subindustry"})
"""Integer-labelled fields (-1 = unknown), the 101 alphas' IndClass levels."""


def fields_of(formula: str) -> dict[str, FieldKind]:
    """Every `$` field of `formula` (name without `$`) with its kind, sorted by name: "group" for
    the GROUP_FIELDS, "series" otherwise. Parses only; the formula is checked by compile_formula."""
    found: set[str] = set()
    stack: list[Node] = [parse(formula)]
    while stack:
        node = stack.pop()
        if isinstance(node, Field):
            found.add(node.name)
        elif isinstance(node, Call):
            stack.extend(node.args)
    return {name: ("group" if name in GROUP_FIELDS else "series") for name in sorted(found)}
