"""Fundamentals from a raw table, long format: `symbol,field,period,period_end,reported_at,value`
(symbol may come from the request instead; `reported_at` defaults to the load's `reported_at`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from django.core.exceptions import ValidationError

from . import checks
from .reading import RawTable

ALIASES = {
    "ticker": "symbol", "metric": "field", "item": "field", "date": "period_end", "period_end_date": "period_end",
    "reported": "reported_at", "report_date": "reported_at", "filing_date": "reported_at", "filed": "reported_at",
}  # fmt: skip


@dataclass
class PreparedFundamentals:
    frame: pd.DataFrame  # symbol, field, period, period_end, reported_at, value
    rows: pd.Series
    rows_read: int
    problems: checks.RowProblems


def fundamentals_prepare(
    table: RawTable, *, symbol: str | None = None, reported_at: dt.datetime
) -> PreparedFundamentals:
    raw = table.frame.rename(columns=lambda c: ALIASES.get(c, c))
    missing = [c for c in ("field", "period_end", "value") if c not in raw.columns]
    if missing:
        raise ValidationError({"file": f"missing column(s): {', '.join(missing)}"})
    problems = checks.RowProblems(table.rows)
    out = pd.DataFrame(index=raw.index)
    given = (symbol or "").strip().upper()
    if "symbol" in raw.columns:
        out["symbol"] = checks.symbols(raw["symbol"], "symbol", problems)
    elif given:
        out["symbol"] = given
    else:
        raise ValidationError({"symbol": "the file has no symbol column: give the symbol"})
    out["field"] = checks.texts(raw["field"], "field", problems)
    problems.flag(out["field"].str.len() > 64, "field", "longer than 64 characters")
    out["period"] = checks.texts(raw["period"], "period", problems, required=False) if "period" in raw else ""
    problems.flag(out["period"].str.len() > 8, "period", "longer than 8 characters")
    out["period_end"] = checks.dates(raw["period_end"], "period_end", problems)
    if "reported_at" in raw.columns:
        out["reported_at"] = checks.timestamps(raw["reported_at"], "reported_at", problems)
    else:
        out["reported_at"] = pd.Timestamp(reported_at).tz_convert("UTC")
    out["value"] = checks.numbers(raw["value"], "value", problems)
    checks.duplicates(
        out,
        ["symbol", "field", "period_end", "reported_at"],
        "period_end",
        problems,
        "figure for this symbol",
    )
    good = ~problems.bad
    return PreparedFundamentals(
        frame=out[good].reset_index(drop=True),
        rows=table.rows[good].reset_index(drop=True),
        rows_read=len(raw),
        problems=problems,
    )
