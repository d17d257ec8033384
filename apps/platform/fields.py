"""Serializer fields that keep hostile values out of the engines, one type per kind of value, so a
bound is stated once for the whole API:

- numbers are finite and of magnitude at most NUMBER_MAX (or tighter bounds a field gives);
- integers fit the database column they land in (the model field's range) or int64;
- decimals fit their model field's max_digits / decimal_places, and NUMBER_MAX;
- instants (date-times, dates) lie in [API_TIMESTAMP_MIN, API_TIMESTAMP_MAX] (settings, UTC);
- symbols are printable text (no control or invisible characters).

Services that take values from elsewhere (admin, loaders, uploads) use the same checks through
`instant_problem`, `printable_problem` and `number_problem`.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_DOWN, Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.backends.base.operations import BaseDatabaseOperations
from rest_framework import serializers
from rest_framework.utils import html

# Quantities, prices, amounts and values: a product of two stays far from float overflow (1e308)
# and a float64 still carries cents (2**53 ≈ 9e15).
NUMBER_MAX = 1e15
BIGINT_RANGE = BaseDatabaseOperations.integer_field_ranges["BigIntegerField"]
SYMBOL_MAX_LENGTH = 32


# --- numbers --------------------------------------------------------------------------------------


def number_problem(value: float, *, low: float = -NUMBER_MAX, high: float = NUMBER_MAX) -> str | None:
    """Why `value` is not an acceptable number, or None."""
    if not math.isfinite(value) or not low <= value <= high:
        return f"Must be a finite number between {low:g} and {high:g}."
    return None


def check_computed_finite(field: str, *values) -> None:
    """Figures computed from bounded inputs can still overflow (returns compounded over many
    periods): that is the input's fault, a 400 on `field`, not a non-JSON answer or a 500."""
    if not all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in values):
        raise DjangoValidationError({field: "These values overflow the floating-point range; check them."})


def _range_messages(kwargs: dict, low, high) -> None:
    shown = (str(low), str(high)) if isinstance(low, int) else (f"{float(low):g}", f"{float(high):g}")
    kind = "whole number" if isinstance(low, int) else "number"
    message = f"Must be a {kind} between {shown[0]} and {shown[1]}."
    kwargs["error_messages"] = {
        "min_value": message,
        "max_value": message,
        **kwargs.get("error_messages", {}),
    }


class BoundedFloatField(serializers.FloatField):
    """A finite float within [min_value, max_value], by default ±NUMBER_MAX; tighter bounds given
    by the field are kept, looser ones are cut to NUMBER_MAX."""

    def __init__(self, *, min_value: float | None = None, max_value: float | None = None, **kwargs):
        low = -NUMBER_MAX if min_value is None else max(float(min_value), -NUMBER_MAX)
        high = NUMBER_MAX if max_value is None else min(float(max_value), NUMBER_MAX)
        _range_messages(kwargs, low, high)
        super().__init__(min_value=low, max_value=high, **kwargs)


def column_int_range(model_field) -> tuple[int, int]:
    """The values the database column of an integer model field can hold (PostgreSQL's ranges,
    which Django states for every backend)."""
    return BaseDatabaseOperations.integer_field_ranges[model_field.get_internal_type()]


class BoundedIntegerField(serializers.IntegerField):
    """An integer that fits the column of `model_field` (int64 without one), within any tighter
    min_value / max_value the field gives."""

    def __init__(self, *, model_field=None, min_value: int | None = None, max_value: int | None = None, **kw):
        low, high = column_int_range(model_field) if model_field is not None else BIGINT_RANGE
        low = low if min_value is None else max(min_value, low)
        high = high if max_value is None else min(max_value, high)
        _range_messages(kw, low, high)
        super().__init__(min_value=low, max_value=high, **kw)


class ColumnDecimalField(serializers.DecimalField):
    """A decimal that fits `model_field`'s max_digits / decimal_places, of magnitude at most
    NUMBER_MAX (tighter min_value / max_value kept)."""

    def __init__(self, model_field, *, min_value=None, max_value=None, **kwargs):
        cap = Decimal(int(NUMBER_MAX))
        low = -cap if min_value is None else max(Decimal(min_value), -cap)
        high = cap if max_value is None else min(Decimal(max_value), cap)
        _range_messages(kwargs, low, high)
        super().__init__(
            max_digits=model_field.max_digits,
            decimal_places=model_field.decimal_places,
            min_value=low,
            max_value=high,
            **kwargs,
        )


def decimal_problem(value: Decimal, *, max_digits: int, decimal_places: int) -> str | None:
    """Why `value` cannot be stored exactly in a column of max_digits / decimal_places (or exceeds
    NUMBER_MAX), or None."""
    if not value.is_finite():
        return "A valid number is required."
    if abs(value) >= Decimal(10) ** (max_digits - decimal_places):
        return f"Use at most {max_digits - decimal_places} digits before the decimal point."
    if value != value.quantize(Decimal(1).scaleb(-decimal_places), rounding=ROUND_DOWN):
        return f"Use at most {decimal_places} decimal places."
    if abs(value) > Decimal(int(NUMBER_MAX)):
        return f"Must be a number between {-NUMBER_MAX:g} and {NUMBER_MAX:g}."
    return None


# --- instants -------------------------------------------------------------------------------------


def timestamp_bounds() -> tuple[dt.datetime, dt.datetime]:
    return settings.API_TIMESTAMP_MIN, settings.API_TIMESTAMP_MAX


def range_message() -> str:
    low, high = timestamp_bounds()
    return f"Must lie between {low:%Y-%m-%d} and {high:%Y-%m-%d} (UTC)."


def instant_problem(value) -> str | None:
    """Why a date, datetime or Timestamp lies outside the API's range (naive = UTC), or None."""
    low, high = timestamp_bounds()
    try:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        inside = low <= value <= high
    except (ValueError, OverflowError):  # a pandas Timestamp of year -1 cannot even be compared
        inside = False
    return None if inside else range_message()


def parse_instant(text: str) -> pd.Timestamp:
    """An ISO 8601 date or date-time (naive = UTC) as a UTC Timestamp inside the API's range;
    ValueError with the reason otherwise (impossible dates, hour 25, offsets beyond ±24 h...)."""
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(
            "Use an ISO 8601 date or date-time, e.g. 2024-03-01 or 2024-03-01T14:30:00Z."
        ) from None
    if ts is pd.NaT:
        raise ValueError("Use an ISO 8601 date or date-time, e.g. 2024-03-01 or 2024-03-01T14:30:00Z.")
    problem = instant_problem(ts)
    if problem:
        raise ValueError(problem)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def instant_validator(value) -> None:
    """Django-style validator for date/datetime values (forms, django-filter, models)."""
    problem = instant_problem(value)
    if problem:
        raise DjangoValidationError(problem, code="range")


class TimestampField(serializers.DateTimeField):
    """DRF's date-time (naive = UTC) inside [API_TIMESTAMP_MIN, API_TIMESTAMP_MAX]."""

    default_error_messages = {"range": "{message}"}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        problem = instant_problem(parsed)
        if problem:
            self.fail("range", message=problem)
        return parsed


class InstantTextField(serializers.CharField):
    """An ISO 8601 date or date-time checked by `parse_instant`, handed on as the text given, so
    the service keeps its own reading of it (a bare date as `end` includes that whole day)."""

    default_error_messages = {"instant": "{message}"}

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if text == "":
            return text
        try:
            parse_instant(text)
        except ValueError as exc:
            self.fail("instant", message=str(exc))
        return text


# --- text -----------------------------------------------------------------------------------------


def printable_problem(text: str) -> str | None:
    if not text.isprintable():
        return "Use printable characters only (no control or invisible characters)."
    return None


def printable_validator(value: str) -> None:
    """Django-style validator (models, forms, django-filter, DRF fields)."""
    problem = printable_problem(str(value))
    if problem:
        raise DjangoValidationError(problem, code="printable")


class SymbolField(serializers.CharField):
    """An instrument symbol as typed: printable, at most SYMBOL_MAX_LENGTH characters. Upper-casing
    stays with the market-data engine's normalize_symbol."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", SYMBOL_MAX_LENGTH)
        kwargs["validators"] = [*kwargs.get("validators", []), printable_validator]
        super().__init__(**kwargs)


# --- bodies ---------------------------------------------------------------------------------------


class JSONOnlyFieldsMixin:
    """For serializers whose nested fields (lists of objects) only JSON can carry. DRF reads such a
    field from a form or multipart body as absent, and the view would silently fall back to its
    default (the stored book); a form naming one is refused with a 400 on that field instead."""

    json_only_fields: tuple[str, ...] = ()

    def to_internal_value(self, data):
        if html.is_html_input(data):
            named = sorted(
                f
                for f in self.json_only_fields
                if any(k == f or k.startswith((f"{f}[", f"{f}.")) for k in data)
            )
            if named:
                message = (
                    "Send this field in a JSON body (Content-Type: application/json); a form cannot carry it."
                )
                raise serializers.ValidationError({f: [message] for f in named})
        return super().to_internal_value(data)
