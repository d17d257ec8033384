"""The streaming bench's publisher process: market-data events through the platform's bus.publish at
a steady rate per step, each carrying its publish time, step number and sequence number.

It runs in a process of its own (forked from the bench, Django already set up) so its publishing
competes with the server for the CPU the way a real publisher on another core would, not with the
parent's bookkeeping. Commands come on a queue; each step's account goes back on another.
"""

from __future__ import annotations

import time

from .lifetime import die_with_parent

TOPIC_PREFIX = "market.data.quotes."
PATTERN = TOPIC_PREFIX + "*"
SYMBOLS = tuple(f"BENCH{i:02d}" for i in range(20))
TICK = 0.005  # seconds: events due are published in bursts at most this far apart


def quote(step: int, seq: int) -> tuple[str, dict]:
    """A quote-sized event: the fields a trader's screen gets, plus the bench's own (ts, k, n)."""
    symbol = SYMBOLS[seq % len(SYMBOLS)]
    mid = 100.0 + (seq % 500) / 100
    payload = {"symbol": symbol, "bid": round(mid - 0.01, 2), "ask": round(mid + 0.01, 2), "size": 100}
    payload |= {"ts": time.time(), "k": step, "n": seq}
    return TOPIC_PREFIX + symbol, payload


def publish_step(step: int, rate: float, seconds: float) -> dict:
    """Publish `rate` events a second for `seconds`; the account of what went out."""
    from apps.platform import bus

    total = max(1, round(rate * seconds))
    failed = 0
    started = time.time()
    t0 = time.perf_counter()
    sent = 0
    while sent < total:
        due = min(total, int((time.perf_counter() - t0) * rate) + 1)
        while sent < due:
            topic, payload = quote(step, sent)
            if bus.publish(topic, payload) is None:  # Redis unreachable: buffered, not on the stream
                failed += 1
            sent += 1
        # Sleep to the next event's due time, but never longer than a tick (bursts stay small).
        wait = min(TICK, (sent / rate) - (time.perf_counter() - t0))
        if wait > 0:
            time.sleep(wait)
    elapsed = time.perf_counter() - t0
    return {
        "step": step,
        "published": total - failed,
        "failed": failed,
        "started": started,
        "seconds": elapsed,
        "rate": (total - failed) / elapsed if elapsed > 0 else 0.0,
    }


def publisher_process(prefix: str, commands, accounts) -> None:
    """Entry point (multiprocessing target): publish on the bus under `prefix` until told None."""
    from apps.platform import bus

    die_with_parent()
    bus.configure(prefix=prefix)
    while (cmd := commands.get()) is not None:
        accounts.put(publish_step(*cmd))
