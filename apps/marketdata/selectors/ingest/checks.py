"""Vectorized field checks that fill a row report.

Each check looks at a whole column at once (pandas/numpy) and records a boolean mask of bad rows
with a reason; only the bad rows are ever visited one by one, to write the report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from apps.platform.fields import BIGINT_RANGE, SYMBOL_MAX_LENGTH, printable_problem, timestamp_bounds

# A file of a million broken rows must not answer with a million-line report.
MAX_REPORTED_ERRORS = 10_000


class RowProblems:
    """Collects (mask, column, reason) per rule; `bad` is the union of every mask."""

    def __init__(self, rows: pd.Series):
        self.rows = rows
        self.bad = pd.Series(False, index=rows.index)
        self._found: list[tuple[pd.Series, str, pd.Series | str]] = []

    def flag(self, mask: pd.Series, column: str, reason: pd.Series | str) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            self.bad |= mask
            self._found.append((mask, column, reason))

    @property
    def count(self) -> int:
        return int(self.bad.sum())

    def errors(self, limit: int = MAX_REPORTED_ERRORS) -> list[dict]:
        out: list[dict] = []
        for mask, column, reason in self._found:
            reasons = (
                reason[mask] if isinstance(reason, pd.Series) else pd.Series(reason, index=mask[mask].index)
            )
            out += [
                {"row": int(r), "column": column, "reason": str(why)}
                for r, why in zip(self.rows[mask], reasons, strict=True)
            ]
        out.sort(key=lambda e: e["row"])
        return out[:limit]


def is_blank(raw: pd.Series) -> pd.Series:
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        return raw.isna() | (raw.astype(str).str.strip().isin(["", "nan", "NaN", "null", "None"]))
    return raw.isna()


def _shown(raw: pd.Series) -> pd.Series:
    return raw.astype(str).str.slice(0, 40)


def numbers(
    raw: pd.Series,
    column: str,
    problems: RowProblems,
    *,
    required: bool = True,
    missing_markers: tuple[str, ...] = (),
    max_abs: float | None = None,
) -> pd.Series:
    """Float64 values; NaN where the value is absent. Flags missing (when required), text that is
    not a number, infinities and, with `max_abs`, magnitudes beyond it."""
    blank = is_blank(raw)
    if missing_markers:
        blank |= raw.astype(str).str.strip().isin(missing_markers)
    values = pd.to_numeric(raw.where(~blank), errors="coerce").astype(np.float64)
    if required:
        problems.flag(blank, column, "missing value")
    problems.flag(values.isna() & ~blank, column, "not a number: " + _shown(raw))
    problems.flag(pd.Series(np.isinf(values.to_numpy()), index=raw.index), column, "not a finite number")
    if max_abs is not None:
        finite = pd.Series(np.isfinite(values.to_numpy()), index=raw.index)
        problems.flag(finite & (values.abs() > max_abs), column, f"out of range: magnitude above {max_abs:g}")
    return values


def whole_numbers_in_bigint(values: pd.Series, column: str, problems: RowProblems) -> None:
    """Flag values a 64-bit integer column cannot hold."""
    low, high = BIGINT_RANGE
    problems.flag((values < low) | (values > high), column, "out of range for a 64-bit integer")


def timestamps(raw: pd.Series, column: str, problems: RowProblems) -> pd.Series:
    """tz-aware UTC timestamps (naive values are taken as UTC); numbers are epoch seconds, or
    milliseconds when too large for seconds."""
    blank = is_blank(raw)
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        unit = "ms" if raw.abs().max() > 1e11 else "s"
        parsed = pd.to_datetime(raw, unit=unit, utc=True, errors="coerce")
    elif isinstance(raw.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(raw.dtype):
        parsed = pd.to_datetime(raw, utc=True)
    else:
        text = raw.where(~blank).astype(object)
        parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
        retry = parsed.isna() & ~blank
        if retry.any():  # other spellings (01/04/1999, 4 Jan 1999): slower, so only for the rest
            parsed[retry] = pd.to_datetime(text[retry], utc=True, errors="coerce", format="mixed")
    problems.flag(blank, column, "missing timestamp")
    problems.flag(parsed.isna() & ~blank, column, "unparseable timestamp: " + _shown(raw))
    # Year 1 or 9999 would be stored, then overflow every time series built from it.
    low, high = timestamp_bounds()
    outside = parsed.notna() & ((parsed < pd.Timestamp(low)) | (parsed > pd.Timestamp(high)))
    problems.flag(outside, column, f"outside {low:%Y-%m-%d} .. {high:%Y-%m-%d}: " + _shown(raw))
    return parsed


def dates(raw: pd.Series, column: str, problems: RowProblems) -> pd.Series:
    """Calendar dates as naive midnight datetimes."""
    return timestamps(raw, column, problems).dt.tz_localize(None).dt.normalize()


def texts(raw: pd.Series, column: str, problems: RowProblems, *, required: bool = True) -> pd.Series:
    blank = is_blank(raw)
    if required:
        problems.flag(blank, column, "missing value")
    return raw.where(~blank, "").astype(str).str.strip()


def symbols(raw: pd.Series, column: str, problems: RowProblems) -> pd.Series:
    """Instrument symbols, upper-cased: required, printable, at most SYMBOL_MAX_LENGTH characters."""
    values = texts(raw, column, problems).str.upper()
    unique = values.drop_duplicates()  # few distinct symbols in a file: check each once
    bad = unique[unique.map(lambda s: printable_problem(s) is not None)]
    problems.flag(values.isin(bad), column, "use printable characters only: " + _shown(values))
    problems.flag(values.str.len() > SYMBOL_MAX_LENGTH, column, f"longer than {SYMBOL_MAX_LENGTH} characters")
    return values


def duplicates(frame: pd.DataFrame, key: list[str], column: str, problems: RowProblems, what: str) -> None:
    """Flag every repeat of a key after its first occurrence, naming the row it repeats."""
    usable = ~problems.bad
    sub = frame[usable]
    dup = sub.duplicated(subset=key, keep="first")
    if not dup.any():
        return
    first_rows = problems.rows[usable].groupby([sub[k] for k in key]).transform("first")
    mask = pd.Series(False, index=frame.index)
    mask[dup[dup].index] = True
    reason = pd.Series("", index=frame.index)
    reason[dup[dup].index] = f"duplicate {what} (first at row " + first_rows[dup].astype(str) + ")"
    problems.flag(mask, column, reason)
