"""Economic series from a raw table (FRED-style).

Layouts: `DATE,VALUE` (one series; give its code), `observation_date,<CODE>[,<CODE>...]` (one
series per value column, the column name upper-cased as its code), or long `code,date,value`.
"." marks a value released as missing (stored as null). `realtime_start` (ALFRED vintages), when
present, is the date each value became known; otherwise every value is known at `known_at`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from django.core.exceptions import ValidationError

from . import checks
from .reading import RawTable

DATE_COLUMNS = ("date", "observation_date", "period", "ts", "timestamp")
CODE_COLUMNS = ("code", "series", "series_id", "series_code")
KNOWN_COLUMNS = ("realtime_start", "known_at")
IGNORED = ("realtime_end",)
MISSING_MARKERS = (".",)


@dataclass
class PreparedSeries:
    frame: pd.DataFrame  # code, date (naive midnight), known_at (UTC), value (NaN = missing)
    rows: pd.Series
    rows_read: int
    problems: checks.RowProblems


def _first(columns, names) -> str | None:
    return next((c for c in names if c in columns), None)


def series_prepare(table: RawTable, *, code: str | None = None, known_at: dt.datetime) -> PreparedSeries:
    raw = table.frame
    date_col = _first(raw.columns, DATE_COLUMNS)
    if date_col is None:
        raise ValidationError({"file": f"no date column (one of {', '.join(DATE_COLUMNS)})"})
    code_col = _first(raw.columns, CODE_COLUMNS)
    known_col = _first(raw.columns, KNOWN_COLUMNS)
    given = (code or "").strip().upper()
    reserved = {date_col, code_col, known_col, *IGNORED}
    value_cols = [c for c in raw.columns if c not in reserved]
    if code_col is not None or value_cols == ["value"]:
        if "value" not in raw.columns:
            raise ValidationError({"file": "a long series file needs a value column"})
        value_cols = ["value"]
        if code_col is None and not given:
            raise ValidationError({"code": "the file has a single VALUE column: give the series code"})
    elif given and len(value_cols) != 1:
        raise ValidationError(
            {"code": f"the file holds {len(value_cols)} series; code only names a single one"}
        )
    if not value_cols:
        raise ValidationError({"file": "no value column"})

    problems = checks.RowProblems(table.rows)
    keys = pd.DataFrame(index=raw.index)
    if code_col is not None:
        keys["code"] = checks.texts(raw[code_col], code_col, problems).str.upper()
    keys["date"] = checks.dates(raw[date_col], date_col, problems)
    if known_col is not None:
        keys["known_at"] = checks.timestamps(raw[known_col], known_col, problems)
    else:
        keys["known_at"] = pd.Timestamp(known_at).tz_convert("UTC")
    values = {
        col: checks.numbers(raw[col], col, problems, required=False, missing_markers=MISSING_MARKERS)
        for col in value_cols
    }
    # In the wide layout a repeated (date, known_at) repeats every series of the row at once.
    checks.duplicates(keys, list(keys.columns), date_col, problems, "date for this series")
    good = ~problems.bad
    parts = [
        keys[good].assign(
            code=keys.loc[good, "code"] if code_col else (given or col.upper()), value=vals[good]
        )
        for col, vals in values.items()
    ]
    return PreparedSeries(
        frame=pd.concat(parts)[["code", "date", "known_at", "value"]].reset_index(drop=True),
        rows=pd.concat([table.rows[good]] * len(parts)).reset_index(drop=True),
        rows_read=len(raw),
        problems=problems,
    )
