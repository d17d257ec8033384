"""Parts 2 and 3 of `bench risk`, against the database `data.py` fills.

Part 2 — the monitor end to end: `services.monitor.monitor_run` over the run's portfolios, as the
Beat task runs it (forced on, narrowed to the bench portfolios so other books in the database are
neither counted nor touched): reading the books, the market data and the limits, the kernel pass
and the breach upserts with their events. First = the book loader's in-process cache empty and
every breach it finds new (opened, with its event); cold = the cache emptied again, the breaches
already open; warm = the next runs, which read prices, books and trades again but reuse instrument
data, history and FX volatility, and only update breaches.
A breakdown of one warm pass (load, resolve limits, kernel) says where the time goes.

Part 3 — the check API through Django's whole stack (django.test.Client: middleware, session
auth, throttles, serializers), `POST /api/risk/check/{code}` on one portfolio: the stored book,
and the same with proposed orders (a pre-trade check), next to `GET /api/portfolio/portfolios/
{code}/` of the same portfolio (a plain read of the same positions) as the floor every request
pays.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
from django.conf import settings
from django.test import Client
from tqdm import tqdm

from ..kernels.limits import evaluate
from .data import BenchBook


def monitor_timing(db: BenchBook, ids: list[int], *, repeats: int, progress: bool) -> dict:
    from ..selectors.book import book_cache_clear, book_load, books_held
    from ..selectors.limits import limits_read, limits_resolve, windows_used
    from ..services import monitor

    def timed_run() -> tuple[float, dict]:
        t0 = time.perf_counter()
        out = monitor.monitor_run(force=True, portfolio_ids=ids)
        return time.perf_counter() - t0, out

    book_cache_clear()
    first_s, first = timed_run()  # cold cache, and every breach found is new
    book_cache_clear()
    cold_s, cold = timed_run()  # cold cache, the breaches already open
    warm_s, warm = [], cold
    for _ in tqdm(range(repeats), desc="monitor (warm)", file=sys.stderr, disable=not progress):
        seconds, warm = timed_run()
        warm_s.append(seconds)
    for run in (first, cold, warm):
        if run.get("errors"):
            raise RuntimeError(f"monitor run reported {run['errors']} failed batch(es): {run}")

    # Where the warm time goes: the same batches through the loader, the limit resolution and the
    # kernel alone (the rest of a monitor step is the breach sync).
    size = max(1, int(getattr(settings, "RISK_MONITOR_BATCH_SIZE", 500)))
    pf, pos = monitor.active_frames(portfolio_ids=ids)
    load_s = resolve_s = kernel_s = 0.0
    for start in range(0, len(pf), size):
        batch = pf.iloc[start : start + size]
        t0 = time.perf_counter()
        held = books_held((batch, pos[pos["portfolio_id"].isin(batch["id"])]))
        records = limits_read(held.ids.to_numpy())
        windows, turnover = windows_used(records)
        loaded = book_load(held=held, windows=windows, turnover=turnover)
        t1 = time.perf_counter()
        resolved = limits_resolve(loaded, records=records)
        t2 = time.perf_counter()
        evaluate(loaded.book, resolved.limits)
        t3 = time.perf_counter()
        load_s, resolve_s, kernel_s = load_s + t1 - t0, resolve_s + t2 - t1, kernel_s + t3 - t2
    return {
        "first_seconds": first_s,
        "first": first,
        "cold_seconds": cold_s,
        "warm_seconds": statistics.median(warm_s),
        "cold": cold,
        "warm": warm,
        "batch_size": size,
        "breakdown": {"load": load_s, "resolve": resolve_s, "kernel": kernel_s},
    }


def incremental_timing(db: BenchBook, ids: list[int]) -> dict:
    """The read of an incremental run (services.monitor.changes.run_scope) after one bar: the
    portfolios holding a thinly held symbol plus those with a breach whose hysteresis clock runs,
    checked warm as the Beat run would (a targeted run over that scope: the bench stays on its own
    portfolios)."""
    from ..services import monitor
    from ..services.monitor.changes import clocked_portfolio_ids

    counts: dict[str, int] = {}
    for held in db.holdings.values():
        for sym in held:
            counts[sym] = counts.get(sym, 0) + 1
    symbol = min(counts, key=lambda s: (counts[s], s))  # a bar of a thinly held symbol: the usual case
    wanted = set(ids)
    breached = clocked_portfolio_ids() & set(wanted)
    monitor.monitor_run(force=True, symbols=[symbol], portfolio_ids=sorted(breached))  # warm-up
    t0 = time.perf_counter()
    run = monitor.monitor_run(force=True, symbols=[symbol], portfolio_ids=sorted(breached))
    return {
        "seconds": time.perf_counter() - t0,
        "run": run,
        "symbol": symbol,
        "holding": counts[symbol],
        "clocked": len(breached),
    }


def proposed_orders(db: BenchBook, portfolio_id: int, n: int) -> list[dict]:
    """n orders: the first half trims or adds to held lines, the rest buy instruments not held."""
    held = db.holdings[portfolio_id]
    held_syms = sorted(held, key=lambda s: -abs(held[s]))
    fresh = [s for s in db.symbols if s not in held]
    orders = []
    for i in range(n):
        if i < (n + 1) // 2 or not fresh:
            sym = held_syms[i % len(held_syms)]
            qty = max(1.0, round(abs(held[sym]) * 0.3))
            side = "sell" if held[sym] > 0 else "buy"
        else:
            sym = fresh[i]
            qty = max(1.0, round(20_000.0 / db.prices[sym]))
            side = "buy"
        orders.append({"symbol": sym, "side": side, "quantity": qty})
    return orders


def check_latency(db: BenchBook, portfolio_id: int, *, orders: int, requests: int, progress: bool) -> dict:
    """p50/p99 (ms) of the check, the pre-trade check and the baseline read; and what they answered."""
    code = db.codes[db.portfolio_ids.index(portfolio_id)]
    client = Client()
    client.force_login(db.user)
    body = {"orders": proposed_orders(db, portfolio_id, orders)}
    calls = {
        "check": lambda: client.post(f"/api/risk/check/{code}"),
        "check_orders": lambda: client.post(f"/api/risk/check/{code}", body, content_type="application/json"),
        "read": lambda: client.get(f"/api/portfolio/portfolios/{code}/"),
    }
    out: dict = {}
    for name, call in calls.items():
        samples, last = _latencies(call, requests, name, progress)
        out[f"{name}_p50_ms"], out[f"{name}_p99_ms"] = (float(x) for x in np.percentile(samples, [50, 99]))
        if name != "read":
            data = last.json()
            out[f"{name}_answer"] = {
                "verdict": data["verdict"],
                "limits": len(data["limits"]),
                "orders": data["orders"],
                "with_before": sum(lim["before"] is not None for lim in data["limits"]),
            }
    return out


def _latencies(call, n: int, desc: str, progress: bool):
    call()  # warm-up: first-request imports, the loader's cache
    out = np.empty(n)
    response = None
    for k in tqdm(range(n), desc=f"api {desc}", file=sys.stderr, disable=not progress, leave=False):
        start = time.perf_counter()
        response = call()
        out[k] = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise RuntimeError(
                f"bench request failed: HTTP {response.status_code} {response.content[:300]!r}"
            )
    return out, response
