"""P&L now: stored portfolios (from their transactions, lot by lot) or ad-hoc positions.

Figures are in the portfolio's base currency. Local-currency amounts are converted at the current
FX rate (`marketdata.fx_rate`, one lookup per currency), so P&L is the value today of what was
gained in each currency. Daily P&L is the change of total P&L since the previous daily close: the
book as it stood at the start of the latest price's UTC day, valued at the last daily closes before
that day (the same FX rate both sides, so daily P&L is price P&L).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from apps.marketdata import facade as marketdata
from apps.platform.numbers import json_safe
from apps.platform.timestamps import iso_utc

from ..kernels import pnl as kernel
from . import sources

POSITION_FIELDS = ["symbol", "sector", "currency", "quantity", "price", "fx_rate", *kernel.FIGURES]
_PREVIOUS_CLOSE_LOOKBACK = pd.Timedelta(days=14)


@dataclass(frozen=True)
class PnlResult:
    portfolio: str | None
    base_currency: str
    cost_method: str
    as_of: pd.Timestamp | None
    summary: dict
    positions: pd.DataFrame
    by_sector: pd.DataFrame = field(repr=False)
    by_currency: pd.DataFrame = field(repr=False)


def _fx_rates(currencies, base: str) -> dict[str, float]:
    rates = {}
    for ccy in set(currencies):
        try:
            rates[ccy] = marketdata.fx_rate(ccy, base)
        except ValueError as exc:
            raise ValidationError({"fx": f"Cannot convert {ccy} to {base}: {exc}"}) from exc
    return rates


def _previous_closes(symbols: list[str], day: pd.Timestamp) -> pd.Series:
    if not symbols:
        return pd.Series(dtype=float)
    panel = marketdata.price_panel(symbols, start=day - _PREVIOUS_CLOSE_LOOKBACK, end=day, interval="1d")
    if panel.empty:
        return pd.Series(np.nan, index=symbols)
    return panel.ffill().iloc[-1].reindex(symbols)


def _decorate(valued: pd.DataFrame, instruments: dict) -> pd.DataFrame:
    valued = valued.copy()
    valued["sector"] = [instruments[s].sector if s in instruments else "" for s in valued["symbol"]]
    valued["currency"] = [instruments[s].currency if s in instruments else "" for s in valued["symbol"]]
    return valued


def _frames(valued: pd.DataFrame, key) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rows = valued[valued["portfolio"] == key] if valued["portfolio"].nunique() > 1 else valued
    positions = rows[POSITION_FIELDS].sort_values("symbol", na_position="last").reset_index(drop=True)
    if rows.empty:
        return positions, pd.DataFrame(columns=kernel.FIGURES), pd.DataFrame(columns=kernel.FIGURES)
    return (
        positions,
        kernel.pnl_breakdown(rows, "sector").droplevel(0),
        kernel.pnl_breakdown(rows, "currency").droplevel(0),
    )


def _totals(valued: pd.DataFrame | None) -> dict:
    if valued is None or valued.empty:
        return {}
    return kernel.pnl_summary(valued).to_dict(orient="index")


def portfolios_pnl(*, portfolios: list) -> dict[str, PnlResult]:
    """P&L of many portfolios in one pass: one transactions read, one instruments read, one latest
    price read and one previous-close panel for all of them, FX per distinct currency pair."""
    infos = sources.portfolio_infos(portfolios)
    if not infos:
        return {}
    by_id = {p.id: p for p in infos}
    tx = sources.transactions(list(by_id)).rename(columns={"portfolio_id": "portfolio"})
    symbols = sorted({s for s in tx["symbol"].dropna().unique()})
    instruments = sources.instruments(symbols)
    latest = marketdata.latest_prices(symbols) if symbols else pd.Series(dtype=float)
    stamps = [t for t in latest.attrs.get("ts", {}).values() if t is not None and not pd.isna(t)]
    as_of = max(stamps) if stamps else None
    methods = {p.id: p.cost_method for p in infos}

    now_book = kernel.lots_book(tx, methods)
    day = as_of.floor("D") if as_of is not None else None
    prev_book = kernel.lots_book(tx[tx["timestamp"] < day], methods) if day is not None else None
    prev_prices = _previous_closes(symbols, day) if day is not None else None

    out = {}
    for base in {p.base_currency for p in infos}:
        ids = [p.id for p in infos if p.base_currency == base]
        ccys = {instruments[s].currency for s in symbols if s in instruments}
        rates = _fx_rates(ccys, base)
        fx = pd.Series({s: rates[instruments[s].currency] for s in symbols if s in instruments}, dtype=float)
        valued = _decorate(
            kernel.pnl_value(now_book[now_book["portfolio"].isin(ids)], latest, fx), instruments
        )
        prev_valued = (
            kernel.pnl_value(prev_book[prev_book["portfolio"].isin(ids)], prev_prices, fx)
            if prev_book is not None
            else None
        )
        now_totals, prev_totals = _totals(valued), _totals(prev_valued)
        for pid in ids:
            info = by_id[pid]
            summary = dict(now_totals.get(pid) or dict.fromkeys(kernel.FIGURES, 0.0))
            summary["daily"] = summary["total"] - prev_totals.get(pid, {}).get("total", 0.0)
            summary["cash"] = float(info.cash)
            summary["nav"] = summary["cash"] + summary["market_value"]
            positions, by_sector, by_currency = _frames(valued, pid)
            out[info.code] = PnlResult(
                portfolio=info.code,
                base_currency=base,
                cost_method=info.cost_method,
                as_of=as_of,
                summary=summary,
                positions=positions,
                by_sector=by_sector,
                by_currency=by_currency,
            )
    return out


def portfolio_pnl(*, portfolio) -> PnlResult:
    """P&L now of one stored portfolio (code, id, model or PortfolioInfo)."""
    info = sources.portfolio_info(portfolio)
    if info is None:
        raise ValidationError({"portfolio": f"Unknown portfolio {portfolio!r}."})
    return portfolios_pnl(portfolios=[info])[info.code]


def positions_pnl(*, positions: list[dict], base_currency: str = "USD") -> PnlResult:
    """P&L of ad-hoc positions: each {symbol, quantity, price?, cost_basis?}. A missing price is the
    latest close; `cost_basis` (total, in the instrument's currency) gives unrealized P&L, without it
    only the market value is known (unrealized None). Unknown symbols and unpriced ones are 400s."""
    symbols = [p["symbol"].strip().upper() for p in positions]
    instruments = sources.instruments(symbols)
    unknown = [s for s in symbols if s not in instruments]
    if unknown:
        raise ValidationError({"positions": f"Unknown instrument(s): {', '.join(unknown)}."})
    need_latest = [s for s, p in zip(symbols, positions, strict=True) if p.get("price") is None]
    latest = marketdata.latest_prices(need_latest) if need_latest else pd.Series(dtype=float)
    prices, costs = [], []
    for sym, p in zip(symbols, positions, strict=True):
        price = float(p["price"]) if p.get("price") is not None else float(latest.get(sym, np.nan))
        if np.isnan(price):
            raise ValidationError({"positions": f"No price for {sym}: give one or load its bars."})
        prices.append(price)
        costs.append(np.nan if p.get("cost_basis") is None else float(p["cost_basis"]))
    rates = _fx_rates({instruments[s].currency for s in symbols}, base_currency)
    fx = np.array([rates[instruments[s].currency] for s in symbols])
    qty = np.array([float(p["quantity"]) for p in positions])
    price_arr = np.array(prices)
    cost = np.array(costs)
    rows = pd.DataFrame(
        {
            "portfolio": None,
            "symbol": symbols,
            "sector": [instruments[s].sector for s in symbols],
            "currency": [instruments[s].currency for s in symbols],
            "quantity": qty,
            "price": price_arr,
            "fx_rate": fx,
            "realized": 0.0,
            "unrealized": (qty * price_arr - cost) * fx,
            "fees": 0.0,
            "dividends": 0.0,
            "market_value": qty * price_arr * fx,
            "cost_basis": cost * fx,
        }
    )
    rows["total"] = rows["unrealized"]
    summary = {k: float(rows[k].sum(skipna=False)) for k in kernel.FIGURES}
    summary["daily"] = None
    summary["cash"] = 0.0
    summary["nav"] = summary["market_value"]
    rows["portfolio"] = 0
    return PnlResult(
        portfolio=None,
        base_currency=base_currency,
        cost_method="adhoc",
        as_of=None,
        summary=summary,
        positions=rows[POSITION_FIELDS].reset_index(drop=True),
        by_sector=kernel.pnl_breakdown(rows, "sector").droplevel(0),
        by_currency=kernel.pnl_breakdown(rows, "currency").droplevel(0),
    )


def _clean(value):
    """JSON-safe: numpy scalars to Python, NaN and infinities to None."""
    return json_safe(value.item() if hasattr(value, "item") else value)


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _groups(frame: pd.DataFrame) -> list[dict]:
    if frame.empty:
        return []
    out = frame[kernel.FIGURES].copy()
    out.insert(0, "key", [str(k) for k in out.index])
    return _records(out.reset_index(drop=True))


def calculate_payload(result, *, portfolio: str, source: str) -> dict:
    """JSON-ready answer (NaN -> null) from a PnlResult."""
    return {
        "portfolio": portfolio,
        "source": source,
        "base_currency": result.base_currency,
        "cost_method": result.cost_method,
        "as_of": iso_utc(result.as_of),
        "summary": {k: _clean(v) for k, v in result.summary.items()},
        "positions": _records(result.positions),
        "by_sector": _groups(result.by_sector),
        "by_currency": _groups(result.by_currency),
    }
