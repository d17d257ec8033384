"""Part 4 of `bench risk`: from a price event to the breach event it causes, through a real worker.

One bench portfolio gets an instrument-scoped max_position limit on its largest long line, set
between the line's value at today's close and at 1.4× that close, resolving at once when back
below (resolve_after_seconds=0, so every try opens a fresh breach). Each try:

1. up: a 1-minute bar at 1.4× the close is stored and its event published on
   market.data.bars.{symbol} as the feeds do (store, then publish); the clock starts at publish
   and stops when the "opened" event of that limit arrives on risk.breaches.{portfolio}
   (bus.subscribe with follow). In between: the bus fans the event out to
   apps.risk.tasks_monitor.check_on_event on the risk queue, the worker checks every portfolio
   holding the symbol (the monitor step) and publishes the breach after commit.
2. down: a bar back at the close, published the same way; the "resolved" event is timed too.

Tries are spaced by more than the monitor's event-coalescing window (RISK_EVENT_COALESCE_MS), so
each event takes the immediate path rather than waiting for a window's trailing run. Untimed
tries first warm the workers' processes: each has its own cache, and its first check loads the
history of every symbol the affected portfolios hold (seconds, not milliseconds). The cache
expires CACHE_TTL_SECONDS after a load, as it does in production, so a long run can catch one
such reload in its tail; the per-try samples are in the result.

Two worker shapes, one after the other, each drained of queued work before it stops:
- shared: `apps.platform.bench.celery_worker()`, one worker with 2 children on all nine queues.
  A bar event also reaches features, factors, ML outcomes and analytics' P&L, whose tasks run on
  the same two children. The check is sent first, at critical priority, and the worker serves
  risk's queues first (apps.risk.subscriptions, workers.registry.QUEUES), so it waits for a free
  child at most, never behind that work; the hop breakdown (hops.py) shows the wait.
- deployed: the risk engine's own workers as `workers.registry` starts them, plus one child on
  the other queues (workers.deployed_workers): the risk check never queues behind another
  engine's work, as in production.
The baseline is a Celery round trip through the workers (apps.risk.tasks.ping), the floor of any
hop through a queue on this machine; the same event check run in this process
(`monitor_run(symbols=[symbol])`, price unchanged) says how much of the path is the check itself.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from celery import current_app
from django.conf import settings
from tqdm import tqdm

from apps.marketdata.services import storage
from apps.platform import bus
from apps.platform.bench import celery_worker
from apps.platform.timestamps import iso_utc

from ..models import EscalationPolicy, MonitorState, RiskLimit
from ..services import monitor
from ..subscriptions import CHECK_TASK
from .data import BenchBook, fx_to_usd
from .hops import TaskEvents, hops
from .workers import deployed_workers, environ_with, queues_drain, worker_database_env

UP = 1.4
WAIT_SECONDS = 30.0
WARM_UP_TRIES = 3
INPROCESS_RUNS = 5


@contextmanager
def _follow(topic: str) -> Iterator[queue.Queue]:
    """A thread relaying every event on `topic` from now on, with its arrival time, into a queue."""
    inbox: queue.Queue = queue.Queue()
    stop = threading.Event()
    events = bus.subscribe(topic, last_id="$", block_ms=100, should_stop=stop.is_set)

    def relay() -> None:
        for ev in events:
            inbox.put((time.perf_counter(), time.time(), ev))

    thread = threading.Thread(target=relay, daemon=True)
    thread.start()
    try:
        yield inbox
    finally:
        stop.set()
        thread.join(5)


def _wait(inbox: queue.Queue, limit_id: int, event: str) -> tuple[float, float, bus.Event]:
    """The breach event: its arrival (perf_counter and wall clock) and the event itself."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            arrived, arrived_wall, ev = inbox.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(
                f"no {event!r} breach event for limit {limit_id} within {WAIT_SECONDS:.0f} s"
            ) from None
        if ev.payload.get("event") == event and ev.payload.get("breach", {}).get("limit_id") == limit_id:
            return arrived, arrived_wall, ev


def _bar(instrument_id: int, symbol: str, close: float) -> tuple[str, dict]:
    """Store a 1-minute bar closing at `close` (this minute's: later than every daily bar) and return
    the topic and payload the feeds publish for it."""
    ts = pd.Timestamp.now(tz="UTC").floor("min")
    frame = pd.DataFrame(
        {"instrument_id": [instrument_id], "ts": [ts], "open": close, "high": close, "low": close}
        | {"close": close, "adj_close": close, "volume": 1000.0}
    )
    storage.bars_upsert(frame, interval="1m")
    payload = {
        "symbol": symbol,
        "interval": "1m",
        "ts": iso_utc(ts),
        "open": close,
        "high": close,
        "low": close,
        "close": close,
        "adj_close": close,
        "volume": 1000.0,
        "vwap": close,
        "trade_count": 1,
        "source": "replay",
        "feed": 0,
    }
    return f"market.data.bars.{symbol}", payload


def _target(db: BenchBook) -> tuple[int, str, str, float, RiskLimit]:
    from apps.marketdata.models import Instrument

    pid = db.portfolio_ids[0]
    code = db.codes[0]
    held = db.holdings[pid]
    ccy = dict(Instrument.objects.filter(symbol__in=list(held)).values_list("symbol", "currency"))
    value = {s: q * db.prices[s] * fx_to_usd(ccy[s]) for s, q in held.items() if q > 0}
    symbol = max(value, key=value.get)
    limit = RiskLimit.objects.create(
        portfolio_id=pid,
        name="bench latency",
        limit_type="max_position",
        scope="instrument",
        scope_value=symbol,
        unit="absolute",
        breach_threshold=value[symbol] * (1 + UP) / 2,
        resolve_after_seconds=0,
        escalation_policy=EscalationPolicy.objects.get(name=f"benchrisk-{db.tag.lower()}"),
    )
    instrument_id = Instrument.objects.get(symbol=symbol).pk
    return instrument_id, symbol, code, db.prices[symbol], limit


def _tries(target: tuple, *, tries: int, gap: float, progress: bool, desc: str) -> dict:
    """Up and down `WARM_UP_TRIES + tries` times; seconds from each publish to its breach event, and
    each timed try's wall-clock marks for the hop breakdown (hops.py)."""
    instrument_id, symbol, code, close, limit = target
    opened, resolved, marks = [], [], []
    with _follow(f"risk.breaches.{code}") as inbox:
        steps = tqdm(range(WARM_UP_TRIES + tries), desc=desc, file=sys.stderr, disable=not progress)
        for k in steps:
            for price, event, out in ((close * UP, "opened", opened), (close, "resolved", resolved)):
                topic, payload = _bar(instrument_id, symbol, price)
                t0, wall = time.perf_counter(), time.time()
                event_id = bus.publish(topic, payload)
                arrived, arrived_wall, ev = _wait(inbox, limit.pk, event)
                if k >= WARM_UP_TRIES:
                    out.append(arrived - t0)
                    marks.append({"event_id": event_id, "published": wall, "arrived": arrived_wall,
                                  "breach_published": ev.published_at})  # fmt: skip
                time.sleep(gap)
    return {"opened": opened, "resolved": resolved, "marks": marks}


def _pings(n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        current_app.send_task("apps.risk.tasks.ping").get(timeout=WAIT_SECONDS)
        out.append(time.perf_counter() - t0)
    return out


def _ms(xs) -> list[float]:
    return [float(x) for x in np.percentile(np.asarray(xs) * 1000.0, [50, 99])]


def _samples(xs) -> list[float]:
    return [round(x * 1000.0, 1) for x in xs]


def breach_latency(db: BenchBook, *, tries: int, pings: int, progress: bool) -> dict:
    env = worker_database_env()
    if env is None:
        return {
            "skipped": "the database is private to this process (in-memory SQLite): no worker can share it"
        }
    if not MonitorState.load().enabled:
        return {"skipped": "the monitor is stopped, so events check nothing (POST /api/risk/monitor/start)"}
    target = _target(db)
    symbol = target[1]
    # The same check in this process, price unchanged (no breach event): the worker's share of the path.
    monitor.monitor_run(symbols=[symbol])
    inproc = []
    for _ in range(INPROCESS_RUNS):
        t0 = time.perf_counter()
        monitor.monitor_run(symbols=[symbol])
        inproc.append(time.perf_counter() - t0)
    gap = int(getattr(settings, "RISK_EVENT_COALESCE_MS", 250)) / 1000.0 + 0.1
    out: dict = {
        "symbol": symbol,
        "portfolios_holding": sum(symbol in h for h in db.holdings.values()),
        "gap_seconds": gap,
        "in_process_check_ms": _ms(inproc),
    }
    with environ_with(env):
        for shape, workers in (("shared", celery_worker), ("deployed", deployed_workers)):
            with workers(), TaskEvents(CHECK_TASK) as task_events:
                ping = _pings(pings)
                run = _tries(target, tries=tries, gap=gap, progress=progress, desc=f"price→breach ({shape})")
                left = queues_drain()
            out[shape] = {
                "opened_ms": _ms(run["opened"]),
                "resolved_ms": _ms(run["resolved"]),
                "ping_ms": _ms(ping),
                "opened_samples_ms": _samples(run["opened"]),
                "resolved_samples_ms": _samples(run["resolved"]),
                "left_queued": left,
                "hops_ms": hops(run["marks"], task_events),
            }
    return out
