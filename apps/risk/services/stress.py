"""Stress scenarios (CRUD with validation) and stress runs of a stored book.

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

import datetime as dt
import math

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.marketdata import facade as marketdata

from ..kernels import stress as stress_kernels
from ..models import StressScenario
from .measures import DEFAULT_WINDOW, PortfolioBook, finite, portfolio_book, returns_history

SHOCK_KEYS = ("instrument", "sector", "currency", "factor")
MIN_BETA_OBSERVATIONS = 20


# --- validation -----------------------------------------------------------------------------------


def parse_instant(value, field: str):
    """An aware UTC datetime from a datetime, an ISO datetime or a bare date (midnight UTC)."""
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)
    text = str(value or "").strip()
    parsed = parse_datetime(text) if text else None
    if parsed is None and text:
        day = parse_date(text)
        parsed = None if day is None else pd.Timestamp(day).to_pydatetime()
    if parsed is None:
        raise ValidationError({field: f"not a date or ISO datetime: {value!r}"})
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _factor_known(keys: list[str]) -> list[str]:
    """Factor keys that are neither an instrument nor a stored economic series."""
    instruments = marketdata.instruments_by_symbols(keys)
    unknown = []
    for key in keys:
        if key.upper() in instruments:
            continue
        try:
            marketdata.series_as_of(key, as_of=timezone.now(), start=timezone.now())
        except marketdata.UnknownSeriesError:
            unknown.append(key)
    return unknown


# A shock is a return: above -1 (a price cannot fall 100 %) and at most +1,000 % (beyond that it is
# a typo, and a huge one would overflow the P&L it multiplies).
SHOCK_MAX = 10.0


def shocks_validate(shocks, field: str = "shocks") -> dict:
    """The shocks normalized ({kind: {key: return}}, symbols and currencies upper-case), or a
    ValidationError under `field` listing every problem: unknown kinds, non-numbers, returns ≤ -1
    (a price cannot fall by 100 % or more) or above SHOCK_MAX, unknown instrument or factor symbols."""
    if not isinstance(shocks, dict) or not shocks:
        raise ValidationError({field: f"give a non-empty object with keys among {', '.join(SHOCK_KEYS)}"})
    problems, clean = [], {}
    for kind, entries in shocks.items():
        if kind not in SHOCK_KEYS:
            problems.append(f"{kind}: unknown kind of shock; use {', '.join(SHOCK_KEYS)}")
            continue
        if not isinstance(entries, dict) or not entries:
            problems.append(f"{kind}: give a non-empty object of name → return")
            continue
        out = {}
        for key, value in entries.items():
            key = str(key).strip()
            number = _number(value)
            if not key:
                problems.append(f"{kind}: empty name")
            elif number is None or number <= -1 or number > SHOCK_MAX:
                problems.append(
                    f"{kind}.{key}: must be a return above -1 and at most {SHOCK_MAX:g}, got {value!r}"
                )
            elif kind == "currency" and not marketdata.CURRENCY_PATTERN.match(key.upper()):
                problems.append(f"currency.{key}: not a 3-letter currency code")
            else:
                out[key.upper() if kind in ("instrument", "currency") else key] = number
        clean[kind] = out
    if "instrument" in clean:
        known = marketdata.instruments_by_symbols(list(clean["instrument"]))
        problems += [f"instrument.{s}: unknown symbol" for s in clean["instrument"] if s not in known]
    if clean.get("factor"):
        problems += [
            f"factor.{k}: neither an instrument nor a stored series"
            for k in _factor_known(list(clean["factor"]))
        ]
        # An instrument factor is keyed by its (upper-case) symbol, like instrument shocks.
        known = marketdata.instruments_by_symbols(list(clean["factor"]))
        clean["factor"] = {(k.upper() if k.upper() in known else k): v for k, v in clean["factor"].items()}
    if problems:
        raise ValidationError({field: problems})
    return clean


def _window_validate(start, end, field_start: str, field_end: str) -> tuple:
    errors = {}
    try:
        start = parse_instant(start, field_start)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        end = parse_instant(end, field_end)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if not start < end:
        raise ValidationError({field_end: "must be after the start of the window"})
    return start, end


def _window_has_prices(start, end, symbols: list[str] | None = None) -> bool:
    symbols = symbols if symbols is not None else [i.symbol for i in marketdata.instruments_active()]
    if not symbols:
        return False
    panel = marketdata.price_panel(symbols, start=start, end=end + pd.Timedelta(microseconds=1))
    return bool(panel.notna().to_numpy().any())


def scenario_validate(data: dict, instance: StressScenario | None = None) -> dict:
    """The scenario's fields after applying `data` to `instance` (or to a new one), checked:
    a shocks scenario needs valid shocks and no window; a historical one a window with start < end
    in which stored prices exist, and no shocks. Raises ValidationError keyed by field."""
    current = {
        "name": instance.name if instance else "",
        "description": instance.description if instance else "",
        "kind": instance.kind if instance else StressScenario.Kind.SHOCKS,
        "shocks": instance.shocks if instance else {},
        "window_start": instance.window_start if instance else None,
        "window_end": instance.window_end if instance else None,
    }
    merged = {**current, **{k: v for k, v in data.items() if k in current}}
    errors = {}
    merged["name"] = str(merged["name"] or "").strip()
    if not merged["name"]:
        errors["name"] = "required"
    elif (
        StressScenario.objects.filter(name__iexact=merged["name"])
        .exclude(pk=getattr(instance, "pk", None))
        .exists()
    ):
        errors["name"] = f"a scenario named {merged['name']!r} exists"
    if merged["kind"] not in StressScenario.Kind.values:
        errors["kind"] = f"one of {', '.join(StressScenario.Kind.values)}"
    elif merged["kind"] == StressScenario.Kind.SHOCKS:
        try:
            merged["shocks"] = shocks_validate(merged["shocks"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
        switching = instance is not None and instance.kind == StressScenario.Kind.HISTORICAL
        if switching and "window_start" not in data and "window_end" not in data:
            merged["window_start"] = merged["window_end"] = None  # switching kind drops the old window
        if merged["window_start"] or merged["window_end"]:
            errors["window_start"] = "a shocks scenario has no window"
    else:
        if data.get("shocks"):
            errors["shocks"] = "a historical scenario replays prices; it takes no shocks"
        merged["shocks"] = {}
        missing = [f for f in ("window_start", "window_end") if not merged[f]]
        for f in missing:
            errors[f] = "required for a historical scenario"
        if not missing:
            try:
                start, end = _window_validate(
                    merged["window_start"], merged["window_end"], "window_start", "window_end"
                )
                merged["window_start"], merged["window_end"] = start, end
                if not _window_has_prices(start, end):
                    errors["window_start"] = "no stored prices in this window"
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return merged


# --- CRUD -----------------------------------------------------------------------------------------


def scenario_get(key) -> StressScenario | None:
    """By id (an int or digits) or by name (case-insensitive)."""
    if isinstance(key, int) or str(key).strip().isdigit():
        found = StressScenario.objects.filter(pk=int(key)).first()
        if found is not None:
            return found
    return StressScenario.objects.filter(name__iexact=str(key).strip()).first()


@transaction.atomic
def scenario_create(*, data: dict, user=None) -> StressScenario:
    clean = scenario_validate(data)
    try:
        with transaction.atomic():
            return StressScenario.objects.create(
                **clean, created_by=user if getattr(user, "pk", None) else None
            )
    except IntegrityError as exc:  # a concurrent create with the same name
        raise ValidationError({"name": f"a scenario named {clean['name']!r} exists"}) from exc


@transaction.atomic
def scenario_update(*, scenario_id: int, data: dict, user=None) -> StressScenario:
    scenario = StressScenario.objects.select_for_update().get(pk=scenario_id)
    for field, value in scenario_validate(data, instance=scenario).items():
        setattr(scenario, field, value)
    scenario.save()
    return scenario


@transaction.atomic
def scenario_delete(*, scenario_id: int, user=None) -> None:
    StressScenario.objects.filter(pk=scenario_id).delete()


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
            "pnl_pct_nav": finite(per_position[0, j] / nav) if nav > 0 else None,
        }
        if "betas" in extra:
            row["betas"] = extra["betas"].get(sym, {})
        if "price_start" in extra:
            row["price_start"] = finite(extra["price_start"][j])
            row["price_end"] = finite(extra["price_end"][j])
        positions.append(row)
    total = float(totals[0]) if len(book.symbols) else 0.0
    out = {
        "scenario": spec,
        "pnl": total,
        "pnl_pct_nav": finite(total / nav) if nav > 0 else None,
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
        start, end = _window_validate(
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
            public |= {"start": spec["start"].isoformat(), "end": spec["end"].isoformat()}
            vector, missing, extra = _replay_vector(book, spec["start"], spec["end"])
        else:
            public["shocks"] = spec["shocks"]
            vector, betas, missing = _shock_vector(book, spec["shocks"], beta_window)
            extra = {"betas": betas} if betas else {}
        results.append(_result(book, public, vector, missing, extra))
    return {
        "portfolio": book.code,
        "currency": book.base_currency,
        "nav": finite(book.nav),
        "unpriced": book.unpriced,
        "results": results,
    }
