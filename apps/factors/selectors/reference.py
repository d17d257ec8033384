"""The expression language's reference, read from where it is defined: every operator of the
registry (its spec's names, category, arguments and doc) and every field a formula may read
(`panels.FIELD_DOCS`). Served by `GET /api/factors/operators` and `GET /api/factors/fields`."""

from __future__ import annotations

from ..kernels.operators import OPERATORS
from .panels import FIELD_DOCS, FIELD_KINDS

CATEGORY_ORDER = ("elementwise", "time_series", "cross_section")


def operators_reference(*, category: str | None = None, name: str | None = None) -> list[dict]:
    """One dict per operator, by category then canonical name: name, aliases, category, args (name,
    kind, default; the last one repeats when `variadic`), variadic, doc. `name` matches the canonical
    name or an alias, case-insensitively, as a substring."""
    rows = []
    for spec in sorted(OPERATORS.values(), key=lambda s: (CATEGORY_ORDER.index(s.category), s.name)):
        if category is not None and spec.category != category:
            continue
        if name is not None and not any(name.lower() in n.lower() for n in spec.names()):
            continue
        rows.append(
            {
                "name": spec.name,
                "aliases": list(spec.aliases),
                "category": spec.category,
                "args": [{"name": a.name, "kind": a.kind, "default": a.default} for a in spec.args],
                "variadic": spec.variadic,
                "doc": spec.doc,
            }
        )
    return rows


def fields_reference() -> list[dict]:
    """One dict per field: name (as written after `$`), kind (series or group), doc."""
    rows = []
    for name, doc in FIELD_DOCS.items():
        probe = "f.x" if name == "f.<feature>" else name
        rows.append({"name": name, "kind": FIELD_KINDS[probe], "doc": doc})
    return rows
