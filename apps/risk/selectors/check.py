"""Limit checks of one portfolio: the stored book, ad-hoc positions, or proposed orders (pre-trade).

The book checked is the stored book, or the ad-hoc `positions` when given (NAV = `portfolio_value`
when given, in either case; ad-hoc positions have no trading history, so their turnover is 0 plus
the orders). With `orders` the same limits are evaluated before and after the orders are applied;
without, only "after" is filled (`before` is null). The limits are the portfolio's effective ones
(selectors.limits: its own plus the global defaults it does not override).

Orders: a buy adds, a sell subtracts quantity (a sell beyond the holding goes short); the order's
`price` (default the latest close) is what is paid or received, in the instrument's currency, so
cash moves by −signed quantity × price × FX and NAV changes only by the gap between that price and
the latest close; every order adds |quantity × price × FX| to the turnover of every window.
Positions stay valued at the latest close (the order price when the instrument has none).

Verdict:
- reject if any limit is at breach after the orders and either it was not at breach before or its
  utilization rose (the orders caused or worsened the breach). Without orders: reject if any limit
  is at breach.
- warn if anything else is not clean: a limit at warn or no_data after, or still at breach but not
  worsened. So an order that reduces a breached position is never rejected for it: it passes when
  it brings the limit back under the warn level, and answers warn while the book stays in breach.
- pass otherwise.
Utilizations compare with a tolerance of 1e-9 (an unchanged breach is not "worsened").

Breach probability (kernels.probability.first_passage_probability, 1 day, per limit): the chance
the utilization touches 1 within a day, given its daily volatility estimated from the book's
scenario P&L (historical simulation of today's holdings):
- limits on one instrument (scoped, or the largest one found): that instrument's daily return
  volatility, geometric model — the position's value moves with its price;
- turnover: 0 — it moves only by trading;
- drawdown: std(scenario P&L) / NAV / breach threshold, arithmetic model — the drawdown moves by
  the day's P&L as a fraction of NAV;
- everything else: std(scenario P&L) / gross exposure — the book's relative daily volatility —
  geometric model (exposures, concentrations, VaR/ES and leverage scale with the book's value).
No scenarios (no price history) → null.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from dataclasses import field as dataclass_field

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.utils import timezone
from scipy import sparse

from apps.platform.numbers import finite_or_none
from apps.platform.timestamps import iso_utc

from ..kernels import catalog
from ..kernels.limits import Evaluation, Limits, evaluate
from ..kernels.probability import first_passage_probability
from .book import LoadedBook, book_adhoc, book_load, book_with, symbols_unknown
from .check_inputs import CheckInputs, check_inputs
from .limits import ResolvedLimits, bucket_names, limits_resolve

HORIZON_DAYS = 1.0
_INSTRUMENT_TYPES = ("max_position", "concentration_limit", "adv_limit")
_STATUS = catalog.STATUSES
_BREACH, _WARN, _NO_DATA = 2, 1, 3
_RISE_TOL = 1e-9


def _dense(m) -> np.ndarray:
    return np.asarray(m.toarray() if hasattr(m, "toarray") else m, dtype=float)


def _base_book(inputs: CheckInputs, positions, portfolio_value, extra, now: pd.Timestamp) -> LoadedBook:
    windows, held = inputs.windows, inputs.held
    if positions is not None:
        return book_adhoc(
            positions=positions,
            portfolio_value=portfolio_value,
            base_currency=str(held.bases[0]),
            portfolio_id=int(held.ids[0]),
            code=str(held.codes[0]),
            extra_symbols=extra,
            windows=windows[0],
            now=now,
        )
    loaded = book_load(
        extra_symbols=extra,
        windows=windows[0],
        turnover=windows[1],
        held=inputs.held,
        trades=inputs.trades,
        now=now,
    )
    if portfolio_value is None:
        return loaded
    value = float(np.nansum(_dense(loaded.book.values)))
    return book_with(
        loaded, quantities=loaded.book.quantities, cash=np.asarray([float(portfolio_value) - value])
    )


def _apply_orders(loaded: LoadedBook, orders: Sequence[dict]) -> LoadedBook:
    col = {s: j for j, s in enumerate(loaded.symbols)}
    qty = _dense(loaded.book.quantities).copy()
    prices = loaded.prices.copy()
    fx = loaded.fx[0]
    cash = float(loaded.cash[0])
    traded = 0.0
    errors = []
    for k, order in enumerate(orders):
        symbol = str(order["symbol"]).upper()
        j = col[symbol]
        price = order.get("price")
        price = float(prices[j]) if price is None else float(price)
        if not math.isfinite(price):
            errors.append(f"orders[{k}]: no price for {symbol}: give one or load its bars.")
            continue
        if np.isnan(prices[j]):
            prices[j] = price  # no close yet: the order's price values the new position
        signed = float(order["quantity"]) * (1.0 if order["side"] == "buy" else -1.0)
        qty[0, j] += signed
        cash -= signed * price * fx[j]
        traded += abs(signed * price * fx[j])
    if errors:
        raise ValidationError({"orders": errors})
    return book_with(
        loaded, quantities=qty, cash=np.asarray([cash]), prices=prices, traded=np.asarray([traded])
    )


def _stacked(before: LoadedBook, after: LoadedBook) -> LoadedBook:
    """The two books (same universe, one portfolio each) as rows 0 and 1 of one LoadedBook."""
    a, b = before.book, after.book

    def rows(x, y):
        return (
            sparse.vstack([x, y]).tocsr() if sparse.issparse(x) or sparse.issparse(y) else np.vstack([x, y])
        )

    book = replace(
        b,
        quantities=rows(a.quantities, b.quantities),
        values=rows(a.values, b.values),
        nav=np.concatenate([a.nav, b.nav]),
        base_currency=np.concatenate([a.base_currency, b.base_currency]),
        scenario_pnl=None if a.scenario_pnl is None else np.vstack([a.scenario_pnl, b.scenario_pnl]),
        fx_vol=None if a.fx_vol is None else np.vstack([a.fx_vol, b.fx_vol]),
        turnover={w: np.concatenate([a.turnover[w], b.turnover[w]]) for w in b.turnover},
        drawdown={w: np.concatenate([a.drawdown[w], b.drawdown[w]]) for w in b.drawdown},
    )
    return replace(
        after, book=book, portfolio_ids=np.concatenate([before.portfolio_ids, after.portfolio_ids])
    )


def _limits_twice(resolved: ResolvedLimits) -> ResolvedLimits:
    """The limits of row 0 again for row 1 (the `_stacked` book's after row)."""
    lim = resolved.limits
    doubled = {f.name: np.concatenate([getattr(lim, f.name)] * 2) for f in fields(lim)}
    doubled["row"] = np.concatenate([lim.row, lim.row + 1])
    rows = pd.concat([resolved.rows, resolved.rows], ignore_index=True)
    return ResolvedLimits(limits=Limits(**doubled), ids=np.concatenate([resolved.ids] * 2), rows=rows)


@dataclass(frozen=True)
class _Resolution:
    """The limits as one universe sees them, with the answer's rows of them (see _resolution)."""

    resolved: ResolvedLimits
    rows: list[dict]  # the limit fields per limit, as the answer reads them
    twice: list = dataclass_field(default_factory=list)  # [_limits_twice(resolved)] once needed


_MEMO_MAX = 8  # universes kept per inputs (a check with orders adds their symbols to the universe)


def _resolution(inputs: CheckInputs, loaded: LoadedBook) -> _Resolution:
    """limits_resolve of the inputs' limit rows over `loaded`'s universe. It depends on those rows
    and the universe's names only, never on prices, so it is kept with the inputs (which a change to
    the book or the limits replaces) and a repeated check skips it and its pandas."""
    key = (tuple(loaded.symbols), tuple(loaded.sectors), tuple(loaded.industries), tuple(loaded.currencies))
    hit = inputs.memo.get(key)
    if hit is None:
        resolved = limits_resolve(loaded, records=inputs.records)
        # Plain dicts from the columns: DataFrame.to_dict costs more than the rest of the answer.
        columns = list(resolved.rows.columns)
        rows = [
            dict(zip(columns, r, strict=True))
            for r in zip(*(resolved.rows[c].to_numpy() for c in columns), strict=True)
        ]
        hit = _Resolution(resolved=resolved, rows=rows)
        if len(inputs.memo) >= _MEMO_MAX:
            inputs.memo.clear()
        inputs.memo[key] = hit
    return hit


def _sigmas(loaded: LoadedBook, resolved: ResolvedLimits, ev: Evaluation) -> tuple[np.ndarray, np.ndarray]:
    """(sigma, geometric?) per limit: see the module docstring."""
    b, rows = loaded.book, resolved.limits.row
    n = len(rows)
    if b.scenario_pnl is None or n == 0:
        return np.full(n, np.nan), np.ones(n, dtype=bool)
    with np.errstate(all="ignore"):
        pnl_std = np.std(b.scenario_pnl, axis=1, ddof=1)
        gross = np.abs(_dense(b.values)).sum(axis=1)
        relative = np.where(gross > 0, pnl_std / gross, np.nan)
        inst_vol = loaded.return_vol
    sigma = relative[rows].copy()
    geometric = np.ones(n, dtype=bool)
    types = resolved.rows["limit_type"].to_numpy()
    cols = np.asarray(ev.bucket, dtype=np.int64)
    single = np.isin(types, _INSTRUMENT_TYPES) & (cols >= 0) & (cols < len(inst_vol))
    sigma[single] = inst_vol[cols[single]]
    sigma[types == "turnover_limit"] = 0.0
    dd = types == "drawdown"
    with np.errstate(all="ignore"):
        sigma[dd] = pnl_std[rows[dd]] / b.nav[rows[dd]] / resolved.limits.breach[dd]
    geometric[dd] = False
    return sigma, geometric


def _probabilities(loaded: LoadedBook, resolved: ResolvedLimits, ev: Evaluation) -> np.ndarray:
    sigma, geometric = _sigmas(loaded, resolved, ev)
    out = np.full(len(sigma), np.nan)
    u = np.asarray(ev.utilization, dtype=float)
    for model, sel in (("geometric", geometric), ("arithmetic", ~geometric)):
        if sel.any():
            out[sel] = first_passage_probability(u[sel], sigma[sel], HORIZON_DAYS, model=model)
    return out


def _side(ev: Evaluation, probability: np.ndarray, buckets: list[str], i: int) -> dict:
    return {
        "value": finite_or_none(ev.value[i]),
        "utilization": finite_or_none(ev.utilization[i]),
        "status": _STATUS[int(ev.status[i])],
        "bucket": buckets[i],
        "breach_probability": finite_or_none(probability[i]),
    }


def _label(row: dict) -> str:
    where = row["scope"] if row["scope"] == "portfolio" else f"{row['scope']} {row['scope_value']}"
    name = f" '{row['name']}'" if row["name"] else ""
    return f"{row['limit_type']}{name} ({where})"


def _words(side: dict, row: dict) -> str:
    if side["status"] == "no_data":
        return "cannot be measured (missing prices, FX or history)"
    at = f" on {side['bucket']}" if side["bucket"] and row["scope"] == "portfolio" else ""
    return (
        f"{side['value']:,.6g} is {side['utilization']:.1%} of the breach level "
        f"{float(row['breach_threshold']):,.6g}{at}"
    )


def _verdict(rows: list[dict], before: list[dict] | None, after: list[dict]) -> tuple[str, list[str]]:
    rejects, warns = [], []
    for k, row in enumerate(rows):
        a = after[k]
        b = before[k] if before is not None else None
        if a["status"] == "breach":
            was = b["status"] if b else None
            rose = b is not None and (
                b["utilization"] is None or a["utilization"] > b["utilization"] + _RISE_TOL
            )
            if b is None:
                rejects.append(f"{_label(row)} is in breach: {_words(a, row)}.")
            elif was != "breach":
                rejects.append(f"{_label(row)} would go into breach: {_words(a, row)} (was {was}).")
            elif rose:
                rejects.append(
                    f"{_label(row)} is in breach and the orders worsen it: {_words(a, row)} "
                    f"(was {b['utilization']:.1%})."
                )
            else:
                warns.append(
                    f"{_label(row)} remains in breach but the orders do not worsen it: {_words(a, row)}"
                    f" (was {b['utilization']:.1%})."
                )
        elif a["status"] in ("warn", "no_data"):
            warns.append(f"{_label(row)} is at {a['status']}: {_words(a, row)}.")
    verdict = "reject" if rejects else "warn" if warns else "pass"
    return verdict, rejects + warns


def portfolio_check(*, portfolio, positions=None, portfolio_value=None, orders=None) -> dict:
    """Check one portfolio's limits (see the module docstring). `portfolio` is a code, an id or a
    PortfolioInfo from the portfolio facade. Bad input: ValidationError keyed by field."""
    now = pd.Timestamp(timezone.now())
    inputs = check_inputs(portfolio, now=now)
    code, base_currency = str(inputs.held.codes[0]), str(inputs.held.bases[0])
    orders = list(orders or [])
    extra = list(dict.fromkeys(str(o["symbol"]).upper() for o in orders))
    unknown = symbols_unknown(extra)
    if unknown:
        raise ValidationError({"orders": f"Unknown instrument(s): {', '.join(unknown)}."})
    loaded = _base_book(inputs, positions, portfolio_value, extra, now)
    resolution = _resolution(inputs, loaded)
    resolved = resolution.resolved
    before_sides = None
    after_loaded = _apply_orders(loaded, orders) if orders else loaded
    if orders:
        # Before and after as the two rows of one book: one kernel pass instead of two.
        if not resolution.twice:
            resolution.twice.append(_limits_twice(resolved))
        both, limits2 = _stacked(loaded, after_loaded), resolution.twice[0]
        ev = evaluate(both.book, limits2.limits)
        prob = _probabilities(both, limits2, ev)
        names = bucket_names(both, limits2.rows, ev.bucket)
        n = len(resolved)
        before_sides = [_side(ev, prob, names, i) for i in range(n)]
        after_sides = [_side(ev, prob, names, n + i) for i in range(n)]
    else:
        ev = evaluate(loaded.book, resolved.limits)
        prob = _probabilities(loaded, resolved, ev)
        names = bucket_names(loaded, resolved.rows, ev.bucket)
        after_sides = [_side(ev, prob, names, i) for i in range(len(resolved))]
    rows = resolution.rows
    verdict, reasons = _verdict(rows, before_sides, after_sides)
    limits = []
    for k, row in enumerate(rows):
        limits.append(
            {
                "id": int(row["id"]),
                "name": row["name"],
                "limit_type": row["limit_type"],
                "scope": row["scope"],
                "scope_value": row["scope_value"],
                "unit": row["unit"],
                "severity": row["severity"],
                "is_global": bool(pd.isna(row["portfolio_id"])),
                "warn_threshold": None if pd.isna(row["warn_threshold"]) else float(row["warn_threshold"]),
                "breach_threshold": float(row["breach_threshold"]),
                "before": before_sides[k] if before_sides is not None else None,
                "after": after_sides[k],
            }
        )
    return {
        "portfolio": code,
        "base_currency": base_currency,
        "source": "positions" if positions is not None else "book",
        "orders": len(orders),
        "as_of": iso_utc(loaded.as_of),
        "nav_before": finite_or_none(loaded.book.nav[0]) if orders else None,
        "nav": finite_or_none(after_loaded.book.nav[0]),
        "verdict": verdict,
        "reasons": reasons,
        "limits": limits,
    }
