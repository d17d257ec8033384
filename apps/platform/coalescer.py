"""Coalesce bursts of events into at most one leading and one trailing run per window, shared by
every worker process through Redis.

The first offer in a window wins the `busy` key (SET NX PX) and runs at once. Offers inside the
window add their items to a pending set; the first of them also wins the `trailing` key and is told
how long to wait, so the caller schedules exactly one trailing run for when the window closes. The
trailing run takes everything still pending, so the last state is never lost. Keys are per `key`
(one window per portfolio, say) or global when key is "".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import redis

from apps.platform.bus import connection

# The trailing flag outlives the window, so a trailing run that never arrives (a worker lost)
# stops blocking new ones after a few windows.
TRAILING_TTL_WINDOWS = 4


@dataclass(frozen=True)
class Offer:
    run_now: bool  # this caller won the window: run now, over `items`
    items: tuple[str, ...] = ()  # what to run over (the pending set, drained) when run_now
    trailing_delay: float | None = None  # seconds: schedule the one trailing run after this delay


@dataclass(frozen=True)
class Coalescer:
    name: str  # namespace of the keys, e.g. "risk:events"
    window_ms: int

    def _keys(self, key: str) -> tuple[str, str, str]:
        base = f"{connection.config().prefix}{self.name}:" + (f"{key}:" if key else "")
        return f"{base}busy", f"{base}pending", f"{base}trailing"

    def offer(self, key: str = "", items: Iterable[str] = ()) -> Offer:
        """Record `items` and say whether to run now, schedule the trailing run, or do nothing."""
        busy, pending, trailing = self._keys(key)
        r = connection.client()
        items = list(items)
        if items:
            r.sadd(pending, *items)
        if r.set(busy, 1, nx=True, px=self.window_ms):
            return Offer(run_now=True, items=_drain(r, pending))
        if r.set(trailing, 1, nx=True, px=self.window_ms * TRAILING_TTL_WINDOWS):
            return Offer(run_now=False, trailing_delay=max(r.pttl(busy), 0) / 1000.0)
        return Offer(run_now=False)

    def trailing(self, key: str = "") -> tuple[str, ...]:
        """Start the trailing run: hold a new window (so events during it coalesce again) and
        take everything pending."""
        busy, pending, trailing = self._keys(key)
        r = connection.client()
        r.delete(trailing)
        r.set(busy, 1, px=self.window_ms)
        return _drain(r, pending)


def _drain(r, pending: str) -> tuple[str, ...]:
    pipe = r.pipeline(transaction=True)
    pipe.smembers(pending)
    pipe.delete(pending)
    members = pipe.execute()[0]
    return tuple(sorted(m.decode() if isinstance(m, bytes) else m for m in members))


def coalesced_run(
    coalescer: Coalescer, item: str, *, run: Callable[[Iterable[str]], dict], trailing_task, log_name: str
) -> dict:
    """The body of a coalesced event task: offer `item`; run now over the window's items, or schedule
    the one trailing run (`trailing_task.apply_async(countdown=...)`), or leave it to the run already
    scheduled. Without Redis the item runs at once, alone (nothing is lost, only batching)."""
    try:
        offer = coalescer.offer(items=[item])
    except redis.RedisError:
        logging.getLogger(log_name).warning("coalescing unavailable (Redis); running %s directly", item)
        return run([item])
    if offer.run_now:
        return run(offer.items)
    if offer.trailing_delay is not None:
        trailing_task.apply_async(countdown=offer.trailing_delay)
    return {"deferred": item}


def bar_event_item(event: dict) -> str | None:
    """A `market.data.bars.*` event as "SYMBOL|interval" (None without a symbol): the item engines
    coalesce bar updates over."""
    payload = event.get("payload") or {}
    if not payload.get("symbol"):
        return None
    return f"{str(payload['symbol']).upper()}|{payload.get('interval') or '1d'}"
