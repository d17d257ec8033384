"""The inputs of an optimization, read through the marketdata facade: the universe (the symbols
asked for, else the instruments the portfolio holds), daily adjusted closes over the window turned
into returns, sectors and industries, the current weights; and the request's constraints mapped to
the kernels' `Constraints` with field-level messages.

Missing data: the closes are not filled; a return is missing where either close is, and the
estimator's `missing` policy (kernels/optimization/estimators.py: drop_dates by default) decides
what happens to it. What it dropped is reported on the stored optimization (`inputs`, `notes`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from apps.marketdata import facade as marketdata

from ..kernels.optimization import Constraints
from ..models import Portfolio, Position


@dataclass(frozen=True)
class Inputs:
    symbols: tuple[str, ...]  # the universe, in the returns' column order
    returns: np.ndarray  # (T, N) simple daily returns, NaN where a close is missing
    dates: pd.DatetimeIndex  # (T,) the bar timestamps of the returns
    start: pd.Timestamp  # the first close used (the day before the first return)
    sectors: tuple[str, ...]
    industries: tuple[str, ...]
    current_weights: np.ndarray  # (N,) of the portfolio's NAV at the latest closes
    fingerprint: str


def universe_of(portfolio: Portfolio, universe: list[str] | None) -> list[str]:
    if universe:
        symbols = list(dict.fromkeys(s.strip().upper() for s in universe))
    else:
        symbols = list(
            Position.objects.filter(portfolio=portfolio)
            .order_by("instrument__symbol")
            .values_list("instrument__symbol", flat=True)
        )
    if len(symbols) < 2:
        raise ValidationError({"universe": "an optimization needs at least two symbols (or positions)"})
    return symbols


def current_weights(portfolio: Portfolio, symbols: list[str]) -> np.ndarray:
    """The portfolio's weights in `symbols` at the latest closes (NAV = cash + every position)."""
    rows = dict(Position.objects.filter(portfolio=portfolio).values_list("instrument__symbol", "quantity"))
    held = list(rows)
    prices = marketdata.latest_prices(held) if held else pd.Series(dtype=float)
    values = pd.Series({s: float(q) for s, q in rows.items()}, dtype=float) * prices.reindex(held)
    nav = float(portfolio.cash) + float(values.fillna(0.0).sum())
    if nav <= 0:
        return np.zeros(len(symbols))
    return (values.reindex(symbols).fillna(0.0) / nav).to_numpy()


def fingerprint(symbols, returns: np.ndarray, dates) -> str:
    h = hashlib.sha256(json.dumps(list(symbols)).encode())
    h.update(np.ascontiguousarray(returns, dtype=np.float64).tobytes())
    h.update(np.asarray(pd.DatetimeIndex(dates).asi8).tobytes())
    return h.hexdigest()


def inputs_load(portfolio: Portfolio, symbols: list[str], *, start=None, end=None, lookback=None) -> Inputs:
    found = marketdata.instruments_by_symbols(symbols)
    unknown = [s for s in symbols if s not in found]
    if unknown:
        raise ValidationError({"universe": f"unknown symbols: {', '.join(unknown)}"})
    prices = marketdata.price_panel(symbols, start, end, interval="1d", field="close", adjusted=True)
    prices = prices.reindex(columns=symbols)
    if lookback is not None:
        prices = prices.iloc[-(lookback + 1) :]
    if len(prices) < 3:
        raise ValidationError({"window": f"{len(prices)} daily closes in the window; at least 3 are needed"})
    returns = (prices / prices.shift(1) - 1.0).iloc[1:]
    values = returns.to_numpy(dtype=float)
    return Inputs(
        symbols=tuple(symbols),
        returns=values,
        dates=returns.index,
        start=prices.index[0],
        sectors=tuple(found[s].sector or "unclassified" for s in symbols),
        industries=tuple(found[s].industry or "unclassified" for s in symbols),
        current_weights=current_weights(portfolio, symbols),
        fingerprint=fingerprint(symbols, values, returns.index),
    )


def _per_symbol(body: dict, key: str, symbols, default: float | None, errors: dict):
    """A scalar for every asset, or {symbol: value} with `default` for the others."""
    value = body.get(key)
    if value is None or isinstance(value, int | float):
        return value
    if not isinstance(value, dict):
        errors[key] = "a number or {symbol: number}"
        return None
    unknown = sorted(set(value) - set(symbols))
    if unknown:
        errors[key] = f"symbols outside the universe: {', '.join(unknown)}"
        return None
    fill = np.nan if default is None else default
    out = np.array([value.get(s, fill) for s in symbols], dtype=float)
    return out


def _caps(body: dict, key: str, labels, errors: dict) -> dict:
    caps = body.get(key) or {}
    out = {}
    for group, cap in caps.items():
        if group not in labels:
            errors[key] = f"{group!r} is not a {key.split('_')[0]} of any asset in the universe"
            return {}
        if isinstance(cap, int | float):
            out[group] = (None, float(cap))
        elif isinstance(cap, dict):
            out[group] = (cap.get("min"), cap.get("max"))
        else:
            errors[key] = f"{group!r}: a number (the cap) or {{min, max}}"
            return {}
    return out


def constraints_from_body(body: dict, inputs: Inputs, keep: np.ndarray) -> Constraints:
    """The request's constraints over the assets kept by the missing-data policy (`keep`: their
    column positions). ValidationError keyed `constraints.<field>` on a value that cannot apply."""
    symbols = [inputs.symbols[i] for i in keep]
    sectors = [inputs.sectors[i] for i in keep]
    industries = [inputs.industries[i] for i in keep]
    errors: dict[str, str] = {}
    long_only = bool(body.get("long_only", True))
    lower = _per_symbol(body, "min_weight", symbols, None if not long_only else 0.0, errors)
    upper = _per_symbol(body, "max_weight", symbols, None, errors)
    if isinstance(lower, np.ndarray) and np.isnan(lower).any():
        lower = np.where(np.isnan(lower), -np.inf, lower)
    if isinstance(upper, np.ndarray) and np.isnan(upper).any():
        upper = np.where(np.isnan(upper), np.inf, upper)
    costs = _per_symbol(body, "transaction_costs", symbols, 0.0, errors)
    net = body.get("net_exposure")
    if net is not None:
        net = (net.get("min"), net.get("max"))
    sector_caps = _caps(body, "sector_caps", set(sectors), errors)
    industry_caps = _caps(body, "industry_caps", set(industries), errors)
    if errors:
        raise ValidationError({f"constraints.{k}": v for k, v in errors.items()})
    return Constraints(
        long_only=long_only,
        lower=lower,
        upper=upper,
        budget=body.get("budget", 1.0),
        net_exposure=net,
        gross_leverage=body.get("gross_leverage"),
        sectors=sectors,
        sector_caps=sector_caps,
        industries=industries,
        industry_caps=industry_caps,
        current_weights=inputs.current_weights[keep],
        max_turnover=body.get("max_turnover"),
        transaction_costs=costs,
        min_position=body.get("min_position"),
        max_names=body.get("max_names"),
        names=symbols,
    )
