"""Every factor operator by canonical name, and name resolution for the parser.

Aliases are case-sensitive: Qlib's CamelCase spellings (`Mean`, `Rank` = ts_rank) and the 101
alphas' lowercase ones (`rank` = cs_rank, `sum` = ts_sum) live side by side. Bare `min`/`max`
are deliberately absent: the 101 alphas use them both for ts_min/ts_max and for an elementwise
minimum/maximum.
"""

from __future__ import annotations

from . import cross_section, elementwise, time_series, time_series_regression, time_series_window
from .spec import OperatorSpec

_ALL: tuple[OperatorSpec, ...] = (
    *elementwise.SPECS,
    *time_series.SPECS,
    *time_series_window.SPECS,
    *time_series_regression.SPECS,
    *cross_section.SPECS,
)


def _index(specs: tuple[OperatorSpec, ...]) -> dict[str, OperatorSpec]:
    """Every name (canonical or alias) to its spec; a name claimed twice is a bug, caught at import."""
    by_name: dict[str, OperatorSpec] = {}
    for spec in specs:
        for name in spec.names():
            if name in by_name:
                raise ValueError(f"operator name {name!r} claimed by {by_name[name].name} and {spec.name}")
            by_name[name] = spec
    return by_name


OPERATORS: dict[str, OperatorSpec] = {spec.name: spec for spec in _ALL}
_BY_NAME = _index(_ALL)


def operator_named(name: str) -> OperatorSpec | None:
    """The operator a formula means by `name` (canonical or alias, case-sensitive), or None."""
    return _BY_NAME.get(name)
