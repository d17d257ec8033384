"""FX rates from a raw table: `base,quote,ts,rate`, or a `pair` column (EURUSD, EUR/USD), or just
`date,rate` with the pair given by the request. A rate is units of quote per one base."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from django.core.exceptions import ValidationError

from apps.platform.fields import NUMBER_MAX

from . import checks
from .reading import RawTable

ALIASES = {"date": "ts", "datetime": "ts", "timestamp": "ts", "time": "ts", "value": "rate", "close": "rate",
           "price": "rate", "symbol": "pair", "ticker": "pair"}  # fmt: skip
CURRENCY = r"^[A-Z]{3}$"


@dataclass
class PreparedFx:
    frame: pd.DataFrame  # base, quote, ts, rate
    rows: pd.Series
    rows_read: int
    problems: checks.RowProblems


def _pair_parts(raw: pd.Series, problems: checks.RowProblems) -> tuple[pd.Series, pd.Series]:
    pair = checks.texts(raw, "pair", problems).str.upper().str.replace(r"[/_\-\s]", "", regex=True)
    pair = pair.str.removesuffix("=X")  # Yahoo spells EURUSD as EURUSD=X
    problems.flag((pair != "") & (pair.str.len() != 6), "pair", "a pair is six letters, e.g. EURUSD")
    return pair.str.slice(0, 3), pair.str.slice(3, 6)


def fx_prepare(table: RawTable, *, base: str | None = None, quote: str | None = None) -> PreparedFx:
    raw = table.frame.rename(columns=lambda c: ALIASES.get(c, c))
    missing = [c for c in ("ts", "rate") if c not in raw.columns]
    if missing:
        raise ValidationError({"file": f"missing column(s): {', '.join(missing)}"})
    problems = checks.RowProblems(table.rows)
    out = pd.DataFrame(index=raw.index)
    if "base" in raw.columns and "quote" in raw.columns:
        out["base"] = checks.texts(raw["base"], "base", problems).str.upper()
        out["quote"] = checks.texts(raw["quote"], "quote", problems).str.upper()
    elif "pair" in raw.columns:
        out["base"], out["quote"] = _pair_parts(raw["pair"], problems)
    elif base and quote:
        out["base"], out["quote"] = base.strip().upper(), quote.strip().upper()
    else:
        raise ValidationError({"file": "no base/quote or pair column: give base and quote"})
    for col in ("base", "quote"):
        problems.flag(
            (out[col] != "") & ~out[col].str.match(CURRENCY), col, "not a 3-letter currency code: " + out[col]
        )
    problems.flag((out["base"] == out["quote"]) & (out["base"] != ""), "quote", "base and quote are the same")
    out["ts"] = checks.timestamps(raw["ts"], "ts", problems)
    out["rate"] = checks.numbers(raw["rate"], "rate", problems, max_abs=NUMBER_MAX)
    problems.flag(out["rate"] <= 0, "rate", "a rate must be positive")
    checks.duplicates(out, ["base", "quote", "ts"], "ts", problems, "timestamp for this pair")
    good = ~problems.bad
    return PreparedFx(
        frame=out[good].reset_index(drop=True),
        rows=table.rows[good].reset_index(drop=True),
        rows_read=len(raw),
        problems=problems,
    )
