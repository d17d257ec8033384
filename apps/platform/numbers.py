"""JSON-safe numbers: strict JSON (and the bus) has no NaN or infinity, so a figure that is not
finite goes out as null. One helper for every engine instead of a copy in each."""

from __future__ import annotations

import math
from collections.abc import Mapping


def finite_or_none(value) -> float | None:
    """`value` as a float, or None when it is missing, NaN or infinite (or too large for a float)."""
    if value is None:
        return None
    try:
        number = float(value)
    except OverflowError:  # a JSON integer of 400 digits
        return None
    return number if math.isfinite(number) else None


def json_safe(value):
    """`value` with every non-finite float replaced by None, through dicts, lists and tuples."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
