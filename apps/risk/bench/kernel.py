"""Part 1 of `bench risk`: one monitoring cycle in memory — the vectorized limit kernel
(`kernels.limits.evaluate`) over P portfolios × K positions × the twelve limit types of the
issue, next to the per-portfolio Python loop (`bench.reference.evaluate_portfolio`)
timed on a sample of the same portfolios in the same run.

The synthetic market is built to look like a desk's: a sparse book over a universe of N
instruments in five quote currencies, portfolios in three base currencies, about one position in
seven short, a one-factor-plus-sector return history behind the historical-simulation scenarios,
ADV with a few instruments unknown. Thresholds sit near the typical figure of each type so the
cycle finds a mix of ok / warn / breach (a cycle that only says "ok" proves little). Nothing
touches the database.

What is timed: `evaluate(book, limits)` alone on the kernel side (the book arrives built, as the
monitor's loader hands it over), `evaluate_portfolio` calls alone on the loop side (its inputs,
lists of dicts per portfolio, are prepared beforehand — the loop's most favourable footing). The
scenario P&L product (values @ returns.T) that the loader does is timed separately.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from tqdm import tqdm

from ..kernels import catalog
from ..kernels.limits import Book, Limits, evaluate, limits_from_records
from .reference import evaluate_portfolio

# The twelve types of the issue / SPEC.md, each at portfolio scope with thresholds near its typical
# figure: (type, unit, warn, breach, extra fields).
ISSUE_LIMITS: tuple[tuple[str, str, float, float, dict], ...] = (
    ("max_position", "pct_nav", 0.075, 0.09, {}),
    ("concentration_limit", "ratio", 0.062, 0.072, {}),
    ("var_limit", "pct_nav", 0.032, 0.034, {"confidence": 0.99, "horizon_days": 1.0}),
    ("expected_shortfall_limit", "pct_nav", 0.032, 0.034, {"confidence": 0.975, "horizon_days": 1.0}),
    ("gross_exposure", "pct_nav", 1.35, 1.55, {}),
    ("net_exposure", "pct_nav", 0.89, 0.925, {}),
    ("sector_concentration", "pct_nav", 0.25, 0.3, {}),
    ("industry_exposure", "pct_nav", 0.11, 0.135, {}),
    ("currency_exposure", "pct_nav", 0.5, 0.6, {}),
    ("fx_risk", "pct_nav", 0.008, 0.0095, {"confidence": 0.99, "horizon_days": 1.0}),
    ("adv_limit", "ratio", 0.1, 0.2, {}),
    ("turnover_limit", "pct_nav", 0.22, 0.3, {"window_days": 1}),
)
CURRENCIES = ("CHF", "EUR", "GBP", "JPY", "USD")  # code = index
CCY_WEIGHTS = (0.04, 0.18, 0.1, 0.08, 0.6)
BASE_WEIGHTS = {"USD": 0.75, "EUR": 0.18, "GBP": 0.07}
SPOT_USD = {"CHF": 1.12, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "USD": 1.0}  # USD per unit
SECTORS, INDUSTRIES_PER_SECTOR = 11, 6


@dataclass(frozen=True)
class Market:
    book: Book
    limits: Limits
    records: list[dict]  # the limits as dicts (the loop's form), row-major like `limits`
    symbols: list[str]
    returns: np.ndarray  # (T, N)
    scenario_seconds: float  # the values @ returns.T product


def _symbol(col: int) -> str:
    return f"I{col:05d}"  # sorts like the column, so both sides break ties on the same instrument


def market_build(*, portfolios: int, positions: int, universe: int, days: int, seed: int = 5) -> Market:
    rng = np.random.default_rng(seed)
    p, n, k = portfolios, universe, min(positions, universe)
    ccy = rng.choice(len(CURRENCIES), n, p=CCY_WEIGHTS)
    base_names = list(BASE_WEIGHTS)
    base = np.asarray([CURRENCIES.index(b) for b in base_names])[
        rng.choice(len(base_names), p, p=list(BASE_WEIGHTS.values()))
    ]
    usd = np.asarray([SPOT_USD[c] for c in CURRENCIES])
    fx = usd[:, None] / usd[None, :]  # fx[a, b]: units of b per unit of a
    sector = rng.integers(0, SECTORS, n)
    sector[rng.random(n) < 0.02] = -1  # a few unclassified instruments
    industry = np.where(sector >= 0, sector * INDUSTRIES_PER_SECTOR + rng.integers(0, 6, n), -1)
    price_usd = np.exp(rng.normal(4.0, 1.0, n))
    price = price_usd / usd[ccy]  # in the instrument's currency (a JPY share costs thousands)
    adv = np.exp(rng.normal(17.0, 1.3, n)) / price_usd  # units/day, from a traded USD amount
    adv[rng.random(n) < 0.02] = np.nan

    # K distinct columns per portfolio, sorted (CSR canonical order).
    cols = np.sort(np.stack([rng.choice(n, k, replace=False) for _ in range(p)]), axis=1)
    size = np.exp(rng.normal(14.0, 1.2, p))  # portfolio scale in base currency
    weight = rng.lognormal(0.0, 0.45, (p, k))
    weight /= weight.sum(axis=1, keepdims=True)
    sign = np.where(rng.random((p, k)) < 0.14, -1.0, 1.0)
    rate = fx[ccy[cols], base[:, None]]
    qty = np.maximum(1.0, np.round(size[:, None] * weight / (price[cols] * rate))) * sign
    val = qty * price[cols] * rate
    indptr = np.arange(0, p * k + 1, k)
    q_m = sparse.csr_matrix((qty.ravel(), cols.ravel(), indptr), shape=(p, n))
    v_m = sparse.csr_matrix((val.ravel(), cols.ravel(), indptr), shape=(p, n))
    gross = np.abs(val).sum(axis=1)
    nav = val.sum(axis=1) + gross * rng.uniform(0.05, 0.3, p)  # cash held in base

    # Daily simple returns: one market factor, one factor per sector, idiosyncratic noise.
    market = rng.standard_t(4, days) * 0.008
    sector_f = rng.normal(0.0, 0.006, (days, SECTORS + 1))
    beta = rng.uniform(0.6, 1.4, n)
    returns = beta * market[:, None] + sector_f[:, sector] + rng.normal(0.0, 0.012, (days, n))
    t0 = time.perf_counter()
    scenario = np.asarray(v_m @ returns.T)  # (P, T) historical simulation of today's book
    scenario_seconds = time.perf_counter() - t0

    vol = np.abs(rng.normal(0.006, 0.002, (len(CURRENCIES), len(CURRENCIES))))
    vol = (vol + vol.T) / 2
    np.fill_diagonal(vol, 0.0)
    book = Book(
        quantities=q_m,
        values=v_m,
        nav=nav,
        base_currency=base,
        sector=sector,
        industry=industry,
        currency=ccy,
        adv=adv,
        scenario_pnl=scenario,
        fx_vol=vol[:, base].T,
        turnover={1: gross * rng.gamma(2.0, 0.05, p)},
        drawdown={},
    )
    records = [
        {"row": r, "type": t, "scope": "portfolio", "bucket": -1, "unit": u, "warn": w, "breach": b, **extra}
        for r in range(p)
        for t, u, w, b, extra in ISSUE_LIMITS
    ]
    symbols = [_symbol(j) for j in range(n)]
    return Market(book, limits_from_records(records), records, symbols, returns, scenario_seconds)


def reference_inputs(m: Market, rows: np.ndarray) -> list[tuple]:
    """The per-portfolio loop's arguments for `rows`: positions and limits as dicts."""
    b = m.book
    q, v = b.quantities.tocsr(), b.values.tocsr()
    limit_count = len(ISSUE_LIMITS)
    out = []
    for r in rows:
        cols = q.indices[q.indptr[r] : q.indptr[r + 1]]
        qty, val = q.data[q.indptr[r] : q.indptr[r + 1]], v.data[v.indptr[r] : v.indptr[r + 1]]
        positions = [
            {
                "symbol": m.symbols[j],
                "quantity": float(qty[i]),
                "value": float(val[i]),
                "sector": int(b.sector[j]),
                "industry": int(b.industry[j]),
                "currency": int(b.currency[j]),
                "adv": float(b.adv[j]),
            }
            for i, j in enumerate(cols)
        ]
        limits = [{**rec, "bucket": None} for rec in m.records[r * limit_count : (r + 1) * limit_count]]
        kwargs = {
            "scenario_pnl": b.scenario_pnl[r],
            "fx_vol": {c: float(b.fx_vol[r, c]) for c in range(b.fx_vol.shape[1])},
            "turnover": {w: float(s[r]) for w, s in b.turnover.items()},
            "drawdown": {w: float(s[r]) for w, s in b.drawdown.items()},
        }
        out.append((positions, float(b.nav[r]), int(b.base_currency[r]), limits, kwargs))
    return out


def agreement(m: Market, rows: np.ndarray, ours, reference: list[list[dict]]) -> dict:
    """Largest absolute and relative differences of value and utilization between the kernel and
    the loop on the sampled portfolios, and how many statuses / buckets differ."""
    limit_count = len(ISSUE_LIMITS)
    idx = (rows[:, None] * limit_count + np.arange(limit_count)).ravel()
    ref = [x for per in reference for x in per]
    ref_value = np.asarray([x["value"] for x in ref], dtype=float)
    ref_util = np.asarray([x["utilization"] for x in ref], dtype=float)
    value, util = ours.value[idx], ours.utilization[idx]
    nan_mismatch = int((np.isnan(value) != np.isnan(ref_value)).sum())
    both = ~np.isnan(value) & ~np.isnan(ref_value)
    diff = np.abs(value[both] - ref_value[both])
    rel = diff / np.maximum(np.abs(ref_value[both]), 1e-300)
    ref_status = np.asarray([catalog.STATUSES.index(x["status"]) for x in ref])
    ref_bucket = [x["bucket"] for x in ref]
    ours_bucket = [
        None if b < 0 else (m.symbols[b] if lim["type"] in _INSTRUMENT_BUCKETS else int(b))
        for b, lim in zip(ours.bucket[idx], (m.records[i] for i in idx), strict=True)
    ]
    return {
        "limits_compared": len(idx),
        "max_abs_diff_value": float(diff.max()) if diff.size else 0.0,
        "max_rel_diff_value": float(rel.max()) if rel.size else 0.0,
        "max_abs_diff_utilization": float(np.nanmax(np.abs(util - ref_util))) if both.any() else 0.0,
        "nan_mismatches": nan_mismatch,
        "status_mismatches": int((ours.status[idx] != ref_status).sum()),
        "bucket_mismatches": sum(a != b for a, b in zip(ours_bucket, ref_bucket, strict=True)),
    }


_INSTRUMENT_BUCKETS = {"max_position", "concentration_limit", "adv_limit"}


def kernel_vs_loop(sizes: dict, progress: bool) -> dict:
    """Timings, rates and agreement of part 1 (see the module docstring)."""
    m = market_build(
        portfolios=sizes["portfolios"],
        positions=sizes["positions"],
        universe=sizes["universe"],
        days=sizes["days"],
    )
    evaluate(m.book, Limits(**{f: getattr(m.limits, f)[:12] for f in m.limits.__dataclass_fields__}))
    times = []
    for _ in tqdm(range(sizes["repeats"]), desc="kernel", file=sys.stderr, disable=not progress):
        t0 = time.perf_counter()
        ours = evaluate(m.book, m.limits)
        times.append(time.perf_counter() - t0)
    kernel_s = statistics.median(times)

    rng = np.random.default_rng(11)
    sample = np.sort(rng.choice(sizes["portfolios"], sizes["loop_portfolios"], replace=False))
    inputs = reference_inputs(m, sample)
    reference = []
    t0 = time.perf_counter()
    for positions, nav, base, limits, kwargs in tqdm(
        inputs, desc="python loop", file=sys.stderr, disable=not progress
    ):
        reference.append(evaluate_portfolio(positions, nav, base, limits, **kwargs))
    loop_s = time.perf_counter() - t0
    counts = np.bincount(ours.status, minlength=4)
    return {
        "kernel_seconds": kernel_s,
        "kernel_times": times,
        "kernel_rate": sizes["portfolios"] / kernel_s,
        "loop_seconds": loop_s,
        "loop_rate": len(sample) / loop_s,
        "scenario_seconds": m.scenario_seconds,
        "limits": len(m.records),
        "statuses": {catalog.STATUSES[i]: int(c) for i, c in enumerate(counts)},
        "agreement": agreement(m, sample, ours, reference),
    }
