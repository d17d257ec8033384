"""Stress runs of a stored book against scenarios (selectors/scenarios.py checks their shocks and
windows, services/scenarios.py stores them).

A scenario is either shocks — returns by instrument, sector, currency or factor, e.g.
`{"instrument": {"AAPL": -0.3}, "sector": {"Technology": -0.15}, "currency": {"EUR": -0.1},
"factor": {"SPY": -0.2}}` — or a historical replay of a stored window. How they combine is the
kernel's rule (kernels/stress.instrument_shocks): an instrument shock replaces its sector's, factor
parts are added, a currency shock (the quote currency's return against the base currency)
compounds on top for instruments quoted in it.

Factor shocks, kept simple: a factor is an instrument (its daily adjusted-close returns) or, when no
instrument has that symbol, a stored economic series read point-in-time (its observations taken as
a level, so its factor return is the period-on-period change). Each held instrument's betas come
from one OLS regression with intercept of its daily returns on all the scenario's factor returns
over the last `beta_window` days (days where any of them is missing are dropped). The shock added
is Σ_k β_ik · f_k: {"factor": {"SPY": -0.1}} moves an instrument with β = 1.2 to SPY by -12 %.

A historical replay applies each instrument's return over the window (first to last adjusted
close inside it, kernels/stress.historical_replay_shocks) to today's position: P&L = today's value
× (P_end / P_start - 1), the window's FX move compounded in when both rates are stored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.marketdata import facade as marketdata
from apps.platform.numbers import finite_or_none
from apps.platform.timestamps import iso_date_or_utc

from ..kernels import stress as stress_kernels
from ..models import StressScenario
from .scenarios import scenario_get, shocks_validate, window_validate
from .var import DEFAULT_WINDOW, PortfolioBook, portfolio_book, returns_history

MIN_BETA_OBSERVATIONS = 20

# --- runs -----------------------------------------------------------------------------------------


def _factor_returns(keys: list[str], index: pd.DatetimeIndex, beta_window: int) -> pd.DataFrame:
    """Daily returns of each factor on the instruments' dates (UTC midnight of the day)."""
    instruments = marketdata.instruments_by_symbols(keys)
    symbols = [k.upper() for k in keys if k.upper() in instruments]
    frame = pd.DataFrame(index=index)
    if symbols:
        panel = returns_history(symbols=symbols, window=beta_window + 5, fill=False)
        panel.index = panel.index.normalize()
        for key in keys:
            if key.upper() in instruments:
                frame[key] = panel[key.upper()].reindex(index)
    for key in keys:
        if key not in frame:
            levels = marketdata.series_as_of(key, as_of=timezone.now())
            levels.index = levels.index.normalize()
            frame[key] = levels.pct_change(fill_method=None).reindex(index)
    return frame[keys]


def factor_betas(*, symbols: list[str], factors: list[str], beta_window: int = DEFAULT_WINDOW):
    """(N, K) OLS betas (with intercept) of each instrument on the factors, and the symbols whose
    betas could not be estimated (fewer than MIN_BETA_OBSERVATIONS complete days: beta 0)."""
    y = returns_history(symbols=symbols, window=beta_window, fill=False)
    y.index = y.index.normalize()
    x = _factor_returns(factors, y.index, beta_window).to_numpy(dtype=float)
    betas = np.zeros((len(symbols), len(factors)))
    missing = []
    for i, sym in enumerate(symbols):
        yi = y[sym].to_numpy(dtype=float)
        ok = np.isfinite(yi) & np.isfinite(x).all(axis=1)
        if ok.sum() < max(MIN_BETA_OBSERVATIONS, len(factors) + 2):
            missing.append(sym)
            continue
        design = np.column_stack([np.ones(ok.sum()), x[ok]])
        coef, *_ = np.linalg.lstsq(design, yi[ok], rcond=None)
        betas[i] = coef[1:]
    return betas, missing


def _shock_vector(book: PortfolioBook, shocks: dict, beta_window: int) -> tuple[np.ndarray, dict, list]:
    """(N,) base-currency shocks of the book's instruments, the betas used, unshocked symbols."""
    col = {s: j for j, s in enumerate(book.symbols)}
    factors = list(shocks.get("factor", {}))
    betas, no_beta = (None, [])
    if factors:
        betas, no_beta = factor_betas(symbols=book.symbols, factors=factors, beta_window=beta_window)
    sector_shocks = {k.lower(): v for k, v in shocks.get("sector", {}).items()}
    vector = stress_kernels.instrument_shocks(
        len(book.symbols),
        by_instrument={col[s]: r for s, r in shocks.get("instrument", {}).items() if s in col},
        by_sector=sector_shocks,
        by_currency=shocks.get("currency", {}),
        sector_codes=[(s or "").lower() or None for s in book.sectors],
        currency_codes=list(book.currencies),
        factor_betas=betas,
        factor_shocks=np.array([shocks["factor"][f] for f in factors]) if factors else None,
        base_currency=book.base_currency,
    )
    beta_rows = (
        {}
        if betas is None
        else {s: dict(zip(factors, map(float, betas[j]), strict=True)) for j, s in enumerate(book.symbols)}
    )
    return vector, beta_rows, no_beta


def _fx_move(ccy: str, base: str, start, end) -> float | None:
    if ccy == base:
        return 1.0
    try:
        return marketdata.fx_rate(ccy, base, at=end) / marketdata.fx_rate(ccy, base, at=start)
    except marketdata.FxRateNotFound:
        return None


def _replay_vector(book: PortfolioBook, start, end) -> tuple[np.ndarray, list, dict]:
    prices = marketdata.price_panel(
        book.symbols, start=start, end=end + pd.Timedelta(microseconds=1), adjusted=True
    )
    prices = prices.reindex(columns=book.symbols)
    local, missing = stress_kernels.historical_replay_shocks(prices.to_numpy(dtype=float))
    fx = np.ones(len(book.symbols))
    fx_missing = set()
    for ccy in set(book.currencies) - {book.base_currency}:
        move = _fx_move(ccy, book.base_currency, start, end)
        if move is None:
            fx_missing.add(ccy)
        else:
            fx[[c == ccy for c in book.currencies]] = move
    vector = np.where(missing, 0.0, (1 + local) * fx - 1)
    first = prices.apply(lambda s: s.dropna().iloc[0] if s.notna().any() else np.nan)
    last = prices.apply(lambda s: s.dropna().iloc[-1] if s.notna().any() else np.nan)
    extra = {
        "price_start": first.to_numpy(dtype=float),
        "price_end": last.to_numpy(dtype=float),
        "fx_missing": sorted(fx_missing),
    }
    return vector, [s for s, m in zip(book.symbols, missing, strict=True) if m], extra


def _result(book: PortfolioBook, spec: dict, vector: np.ndarray, missing: list, extra: dict) -> dict:
    per_position, totals = stress_kernels.stress_pnl(book.values[None, :], vector)
    nav = book.nav
    positions = []
    for j, sym in enumerate(book.symbols):
        row = {
            "symbol": sym,
            "quantity": float(book.quantities[j]),
            "value": float(book.values[j]),
            "currency": book.currencies[j],
            "sector": book.sectors[j],
            "shock": float(vector[j]),
            "pnl": float(per_position[0, j]),
            "pnl_pct_nav": finite_or_none(per_position[0, j] / nav) if nav > 0 else None,
        }
        if "betas" in extra:
            row["betas"] = extra["betas"].get(sym, {})
        if "price_start" in extra:
            row["price_start"] = finite_or_none(extra["price_start"][j])
            row["price_end"] = finite_or_none(extra["price_end"][j])
        positions.append(row)
    total = float(totals[0]) if len(book.symbols) else 0.0
    out = {
        "scenario": spec,
        "pnl": total,
        "pnl_pct_nav": finite_or_none(total / nav) if nav > 0 else None,
        "positions": positions,
        "unshocked": missing,
    }
    if extra.get("fx_missing"):
        out["fx_missing"] = extra["fx_missing"]
    return out


def _specs(scenario, scenarios, shocks, historical) -> list[dict]:
    keys = ([scenario] if scenario not in (None, "") else []) + list(scenarios or [])
    specs, unknown = [], []
    for key in keys:
        found = scenario_get(key)
        if found is None:
            unknown.append(str(key))
            continue
        spec = {"id": found.pk, "name": found.name, "kind": found.kind}
        if found.kind == StressScenario.Kind.HISTORICAL:
            spec |= {"start": found.window_start, "end": found.window_end}
        else:
            spec["shocks"] = found.shocks
        specs.append(spec)
    if unknown:
        raise ValidationError(
            {"scenarios" if scenarios else "scenario": [f"unknown scenario {k!r}" for k in unknown]}
        )
    if shocks:
        specs.append(
            {"id": None, "name": "inline shocks", "kind": "shocks", "shocks": shocks_validate(shocks)}
        )
    if historical:
        if not isinstance(historical, dict):
            raise ValidationError({"historical": "give {start, end}"})
        start, end = window_validate(
            historical.get("start"), historical.get("end"), "historical", "historical"
        )
        specs.append(
            {"id": None, "name": "historical replay", "kind": "historical", "start": start, "end": end}
        )
    if not specs:
        raise ValidationError({"scenario": "give a scenario (name or id), scenarios, shocks or historical"})
    return specs


def stress_run(
    *,
    portfolio: str,
    scenario=None,
    scenarios: list | None = None,
    shocks: dict | None = None,
    historical: dict | None = None,
    beta_window: int = DEFAULT_WINDOW,
    book: PortfolioBook | None = None,
) -> dict:
    """P&L of the stored book under each scenario asked (stored ones by name or id, inline shocks,
    an inline historical window), per position and in total, money and fraction of NAV."""
    if not MIN_BETA_OBSERVATIONS <= int(beta_window) <= 5000:
        raise ValidationError({"beta_window": f"must be between {MIN_BETA_OBSERVATIONS} and 5000 days"})
    specs = _specs(scenario, scenarios, shocks, historical)
    book = book or portfolio_book(portfolio=portfolio)
    results = []
    for spec in specs:
        public = {k: spec[k] for k in ("id", "name", "kind")}
        if not book.symbols:
            vector, missing, extra = np.zeros(0), [], {}
        elif spec["kind"] == StressScenario.Kind.HISTORICAL:
            public |= {"start": iso_date_or_utc(spec["start"]), "end": iso_date_or_utc(spec["end"])}
            vector, missing, extra = _replay_vector(book, spec["start"], spec["end"])
        else:
            public["shocks"] = spec["shocks"]
            vector, betas, missing = _shock_vector(book, spec["shocks"], beta_window)
            extra = {"betas": betas} if betas else {}
        results.append(_result(book, public, vector, missing, extra))
    return {
        "portfolio": book.code,
        "currency": book.base_currency,
        "nav": finite_or_none(book.nav),
        "unpriced": book.unpriced,
        "results": results,
    }
