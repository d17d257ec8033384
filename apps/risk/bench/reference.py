"""The limit figures of one portfolio computed the obvious way: dicts and loops over its positions.

Two jobs: the independent reference `limits.evaluate` is tested against (it shares no code with
it; the semantics are the ones written in `limits`' docstring), and the per-portfolio baseline loop
that `manage.py bench risk` sets next to the vectorized kernel.

Positions: dicts {symbol, quantity, value, sector, industry, currency, adv}; value in the
portfolio's base currency; sector / industry / currency None or negative = unknown; adv None, NaN
or ≤ 0 = unknown. Limits: dicts {type, scope, bucket, warn, breach, unit, confidence, horizon_days,
window_days}, with `bucket` a symbol / sector / industry / currency (None for portfolio scope).
`fx_vol` maps a currency to its daily volatility against the base; `turnover` and `drawdown` map
a window (days) to the figure. Result per limit: {value, utilization, status, bucket}, status one
of catalog.STATUSES, bucket the largest bucket for portfolio-scoped per-bucket types.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from ..kernels import catalog

NAN = float("nan")
_LARGEST = {"max_position", "concentration_limit", "adv_limit", "sector_concentration"}
_LARGEST |= {"industry_exposure", "currency_exposure"}


def _known(code) -> bool:
    if code is None:
        return False
    return not (isinstance(code, int | float | np.integer | np.floating) and code < 0)


def _nan(x) -> bool:
    return x is None or (isinstance(x, float | np.floating) and math.isnan(x))


def _largest(figures: dict) -> tuple[float, object]:
    """The max figure and its key, the lowest key on ties; (0, None) when there is nothing."""
    best, best_key = None, None
    for key in sorted(figures):
        x = figures[key]
        if _nan(x):
            continue
        if best is None or x > best:
            best, best_key = x, key
    return (0.0, None) if best is None else (best, best_key)


class _Portfolio:
    def __init__(self, positions, base_currency):
        self.base = base_currency
        # One line per symbol (quantities and values of repeated symbols add up); closed lines dropped.
        lines: dict[str, dict] = {}
        for p in positions:
            line = lines.setdefault(p["symbol"], {**p, "quantity": 0.0, "value": 0.0})
            line["quantity"] += float(p["quantity"])
            line["value"] += float(p["value"])
        self.lines = [x for x in lines.values() if x["quantity"] != 0 or x["value"] != 0]
        self.by_symbol = {x["symbol"]: x for x in self.lines}
        self.gross = self.net = self.short = 0.0
        for x in self.lines:
            self.gross += abs(x["value"])
            self.net += x["value"]
            if x["value"] < 0:
                self.short += -x["value"]
        self.net = abs(self.net)

    def buckets(self, key: str) -> dict:
        """{bucket: {gross, net, short}} over the lines with a known `key` (sector, industry, currency)."""
        out: dict = {}
        for x in self.lines:
            if not _known(x[key]):
                continue
            b = out.setdefault(x[key], {"gross": 0.0, "net": 0.0, "short": 0.0})
            b["gross"] += abs(x["value"])
            b["net"] += x["value"]
            if x["value"] < 0:
                b["short"] += -x["value"]
        return out

    def adv_ratio(self, line) -> float:
        if line["quantity"] == 0:
            return 0.0
        adv = line["adv"]
        if _nan(adv) or adv <= 0:
            return NAN
        return abs(line["quantity"]) / adv


def _var_es(pnl, confidence, horizon) -> tuple[float, float]:
    x = np.asarray(pnl, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return NAN, NAN
    cut = float(np.percentile(x, 100.0 * (1.0 - confidence)))
    scale = math.sqrt(horizon)
    return -cut * scale, -float(x[x <= cut].mean()) * scale


def _figure(pf: _Portfolio, nav: float, lim: dict, scenario_pnl, fx_vol, turnover, drawdown):
    """(value in money or ratio, bucket) of one limit before the unit is applied."""
    kind, scope, bucket = lim["type"], lim["scope"], lim.get("bucket")
    if scope not in catalog.BY_CODE[kind].scopes:
        return NAN, bucket
    portfolio = scope == "portfolio"
    if kind in ("max_position", "concentration_limit", "adv_limit"):
        if kind == "adv_limit":
            figures = {x["symbol"]: pf.adv_ratio(x) for x in pf.lines}
        else:
            figures = {x["symbol"]: abs(x["value"]) for x in pf.lines}
        if portfolio:
            value, bucket = _largest(figures)
            if kind == "adv_limit" and bucket is None and pf.lines:
                value = NAN  # positions held, none with a known ADV
        else:
            value = figures.get(bucket, 0.0)
        if kind == "concentration_limit":
            value = value / pf.gross if pf.gross > 0 else 0.0
        return value, bucket
    if kind in ("gross_exposure", "net_exposure", "short_exposure"):
        field = kind.split("_")[0]
        if portfolio:
            return getattr(pf, field), bucket
        b = pf.buckets(scope).get(bucket)
        return (0.0 if b is None else abs(b[field])), bucket
    if kind in ("sector_concentration", "industry_exposure", "currency_exposure"):
        key = {"sector_concentration": "sector", "industry_exposure": "industry"}.get(kind, "currency")
        field = "gross" if kind == "sector_concentration" else "net"
        figures = {k: abs(b[field]) for k, b in pf.buckets(key).items()}
        if kind == "currency_exposure":
            figures.pop(pf.base, None)
        if portfolio:
            return _largest(figures)
        return figures.get(bucket, 0.0), bucket
    if kind == "fx_risk":
        if fx_vol is None:
            return NAN, bucket
        total = 0.0
        for ccy, b in pf.buckets("currency").items():
            if ccy == pf.base or not (portfolio or ccy == bucket):
                continue
            vol = fx_vol.get(ccy, NAN)
            total += abs(b["net"]) * (NAN if vol is None else vol)
        z = NormalDist().inv_cdf(lim["confidence"])
        return total * (z * math.sqrt(lim["horizon_days"])), bucket
    if kind in ("var_limit", "expected_shortfall_limit"):
        if scenario_pnl is None:
            return NAN, bucket
        var, es = _var_es(scenario_pnl, lim["confidence"], lim["horizon_days"])
        return (var if kind == "var_limit" else es), bucket
    if kind in ("turnover_limit", "drawdown"):
        series = (turnover if kind == "turnover_limit" else drawdown) or {}
        value = series.get(int(lim["window_days"]))
        return (NAN if value is None else float(value)), bucket
    if kind == "leverage":
        return (pf.gross / nav if nav > 0 else NAN), bucket
    raise ValueError(f"unknown limit type {kind!r}")


def evaluate_portfolio(
    positions: list[dict],
    nav: float,
    base_currency,
    limits: list[dict],
    *,
    scenario_pnl=None,
    fx_vol: dict | None = None,
    turnover: dict | None = None,
    drawdown: dict | None = None,
) -> list[dict]:
    """One result dict per limit, in order (see the module docstring)."""
    pf = _Portfolio(positions, base_currency)
    nav = float(nav)
    out = []
    for lim in limits:
        value, bucket = _figure(pf, nav, lim, scenario_pnl, fx_vol, turnover, drawdown)
        if lim["unit"] == "pct_nav":
            value = value / nav if nav > 0 else NAN
        warn, breach = lim.get("warn"), float(lim["breach"])
        if _nan(value):
            status, utilization = "no_data", NAN
        else:
            utilization = value / breach
            if value >= breach:
                status = "breach"
            elif not _nan(warn) and value >= warn:
                status = "warn"
            else:
                status = "ok"
        out.append({"value": value, "utilization": utilization, "status": status, "bucket": bucket})
    return out
