"""Checks of an attribution request's inputs, shared by the three methods (`selectors.attribution`).
Bad input raises a ValidationError keyed by the field at fault (the API answers 400 with it).

Windows: `start` inclusive, `end` exclusive, a bare date as `end` includes that day (as everywhere
in the API). Period data given in the body is keyed by date; a period counts when its date falls
in the window.
"""

from __future__ import annotations

import pandas as pd
from django.core.exceptions import ValidationError

from apps.marketdata import facade as marketdata
from apps.platform.fields import NUMBER_MAX, instant_problem, number_problem

from ..kernels import attribution as kernel

WEIGHT_SUM_TOLERANCE = 1e-6


def window_bounds(start, end) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    errors = {}
    start_ts = end_ts = None
    try:
        start_ts = marketdata.window_start_utc(start)
    except (ValueError, TypeError):
        errors["start"] = f"Not a date or timestamp: {start!r}."
    try:
        end_ts = marketdata.window_end_utc(end)
    except (ValueError, TypeError):
        errors["end"] = f"Not a date or timestamp: {end!r}."
    if start_ts is not None and end_ts is not None and start_ts >= end_ts:
        errors["start"] = "start must be before end."
    if errors:
        raise ValidationError(errors)
    return start_ts, end_ts


def in_window(ts: pd.Timestamp, start, end) -> bool:
    return (start is None or ts >= start) and (end is None or ts < end)


def period_date(value, field: str) -> pd.Timestamp:
    try:
        ts = marketdata.instant_utc(value)
    except (ValueError, TypeError, OverflowError):
        raise ValidationError({field: f"Not a date: {value!r}."}) from None
    if instant_problem(ts):
        raise ValidationError({field: instant_problem(ts)})
    return ts


def dated_series(mapping: dict, field: str) -> pd.Series:
    if not isinstance(mapping, dict) or not mapping:
        raise ValidationError({field: "Give a non-empty object of {date: return}."})
    idx = [period_date(d, field) for d in mapping]
    try:
        values = [float(v) for v in mapping.values()]
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({field: "Every value must be a number."}) from None
    s = pd.Series(values, index=pd.DatetimeIndex(idx)).sort_index()
    if s.index.has_duplicates:
        raise ValidationError({field: "A date appears twice."})
    if any(number_problem(v) for v in values) or (s <= -1).any():
        raise ValidationError({field: f"Returns must be finite fractions above -1, at most {NUMBER_MAX:g}."})
    return s


def empty_period() -> ValidationError:
    return ValidationError({"period": "No periods in the window: widen start/end or give data for it."})


def linking_check(method: str) -> None:
    if method not in kernel.LINKINGS:
        raise ValidationError({"linking": f"Use one of {', '.join(kernel.LINKINGS)}."})


def weights_and_returns(data: dict, field: str) -> dict[str, tuple[float, float]]:
    """{name: {weight, return}} → {name: (weight, return)}, each checked; errors keyed `field.name`."""
    out = {}
    for key, v in data.items():
        try:
            w, r = float(v["weight"]), float(v["return"])
        except (TypeError, KeyError, ValueError, OverflowError):
            raise ValidationError({f"{field}.{key}": "Needs numeric weight and return."}) from None
        if number_problem(w) or number_problem(r) or r <= -1:
            raise ValidationError(
                {f"{field}.{key}": f"Weight and return at most ±{NUMBER_MAX:g}, return above -1."}
            )
        out[str(key)] = (w, r)
    return out
