"""Bars from a raw table: Yahoo-style (`Date,Open,High,Low,Close,Adj Close,Volume`, one symbol per
file) or long format with a symbol column. Checks every rule before anything is written."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from apps.platform.fields import NUMBER_MAX

from . import checks
from .reading import RawTable

ALIASES = {
    "date": "ts", "datetime": "ts", "timestamp": "ts", "time": "ts",
    "adjclose": "adj_close", "adjusted_close": "adj_close", "adj": "adj_close",
    "ticker": "symbol", "vol": "volume", "trades": "trade_count", "n_trades": "trade_count",
}  # fmt: skip
REQUIRED = ("ts", "open", "high", "low", "close")
COLUMNS = ("symbol", "ts", "open", "high", "low", "close", "adj_close", "volume", "vwap", "trade_count")


@dataclass
class PreparedBars:
    frame: pd.DataFrame  # the good rows: COLUMNS, symbol upper-case, ts tz-aware UTC
    rows: pd.Series  # file row number of each good row
    rows_read: int
    problems: checks.RowProblems


def _renamed(frame: pd.DataFrame) -> pd.DataFrame:
    renamed = frame.rename(columns={c: ALIASES.get(c, c) for c in frame.columns})
    if renamed.columns.duplicated().any():
        dupes = sorted(set(renamed.columns[renamed.columns.duplicated()]))
        raise ValidationError({"file": f"several columns mean the same thing: {', '.join(dupes)}"})
    return renamed


def _symbols(raw: pd.DataFrame, symbol: str | None, problems: checks.RowProblems) -> pd.Series:
    given = (symbol or "").strip().upper()
    if "symbol" not in raw.columns:
        if not given:
            raise ValidationError({"symbol": "the file has no symbol column: give the symbol"})
        return pd.Series(given, index=raw.index)
    symbols = checks.symbols(raw["symbol"], "symbol", problems)
    if given and not symbols[symbols != ""].eq(given).all():
        raise ValidationError({"symbol": f"the file has a symbol column with symbols other than {given}"})
    return symbols


def bars_prepare(table: RawTable, *, symbol: str | None = None) -> PreparedBars:
    raw = _renamed(table.frame)
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise ValidationError(
            {"file": f"missing column(s): {', '.join(missing)} (found: {', '.join(map(str, raw.columns))})"}
        )
    problems = checks.RowProblems(table.rows)
    out = pd.DataFrame(index=raw.index)
    out["symbol"] = _symbols(raw, symbol, problems)
    out["ts"] = checks.timestamps(raw["ts"], "ts", problems)
    for col in ("open", "high", "low", "close"):
        out[col] = checks.numbers(raw[col], col, problems, max_abs=NUMBER_MAX)
    for col in ("adj_close", "vwap", "trade_count"):
        absent = pd.Series(np.nan, index=raw.index)
        bound = NUMBER_MAX if col != "trade_count" else None
        out[col] = (
            checks.numbers(raw[col], col, problems, required=False, max_abs=bound) if col in raw else absent
        )
    out["volume"] = (
        checks.numbers(raw["volume"], "volume", problems)
        if "volume" in raw
        else pd.Series(0.0, index=raw.index)
    )
    bar_ranges(out, problems)
    problems.flag(out["trade_count"] < 0, "trade_count", "negative trade count")
    checks.whole_numbers_in_bigint(out["trade_count"], "trade_count", problems)
    problems.flag(
        out["trade_count"].notna() & (out["trade_count"] % 1 != 0),
        "trade_count",
        "trade count is not a whole number",
    )
    checks.duplicates(out, ["symbol", "ts"], "ts", problems, "timestamp for this symbol")
    good = ~problems.bad
    return PreparedBars(
        frame=out.loc[good, list(COLUMNS)].reset_index(drop=True),
        rows=table.rows[good].reset_index(drop=True),
        rows_read=len(raw),
        problems=problems,
    )


def bar_ranges(out: pd.DataFrame, problems: checks.RowProblems) -> None:
    """The range rule of a bar: high >= max(open, close), low <= min(open, close), volume >= 0.
    Bounds are only checked on rows whose prices are all numbers (one reason per bad value)."""
    priced = pd.Series(
        np.isfinite(out[["open", "high", "low", "close"]].to_numpy()).all(axis=1), index=out.index
    )
    top, bottom = out[["open", "close"]].max(axis=1), out[["open", "close"]].min(axis=1)
    problems.flag(
        priced & (out["high"] < top),
        "high",
        "high " + out["high"].astype(str) + " is below max(open, close) " + top.astype(str),
    )
    problems.flag(
        priced & (out["low"] > bottom),
        "low",
        "low " + out["low"].astype(str) + " is above min(open, close) " + bottom.astype(str),
    )
    problems.flag(out["volume"] < 0, "volume", "negative volume " + out["volume"].astype(str))


def bars_out_of_range(frame: pd.DataFrame) -> np.ndarray:
    """Rows of a bar frame (open, high, low, close, volume) that ingest would reject: a price that
    is not a finite number, or a break of `bar_ranges`. For bars built elsewhere (the live feed)."""
    problems = checks.RowProblems(pd.Series(np.arange(len(frame)), index=frame.index))
    prices = frame[["open", "high", "low", "close"]].to_numpy(dtype=np.float64)
    problems.flag(
        pd.Series(~np.isfinite(prices).all(axis=1), index=frame.index), "price", "not a finite number"
    )
    bar_ranges(frame, problems)
    return problems.bad.to_numpy()
