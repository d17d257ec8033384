"""One connection's outbound queue: bounded, with market data conflated when the client falls behind.

While fewer than `conflate_after` messages wait, every event queues in order. From that depth on,
an event whose conflation key (market data: its topic, i.e. one symbol's quotes, bars or level 2)
already has a message waiting replaces it: the old entry is voided and the new one goes to the
tail, so messages still leave in id order (a client resuming from its last id misses nothing it
was not told about), and it carries how many updates it stands for. At `maxsize` waiting, the
oldest message is dropped. Every drop and conflation is counted.

`backlogged_since` is when the queue last reached `conflate_after` (None below it): a client that
stays there is too slow and the consumer closes it. Pure Python; the caller owns the clock.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

MARKET = "market.data."


def market_key(ev: Any) -> Hashable | None:
    """Market data conflates per topic (market.data.<kind>.<symbol>); nothing else conflates."""
    topic = ev.topic
    return topic if topic.startswith(MARKET) else None


class _Entry:
    __slots__ = ("alive", "count", "event", "key")

    def __init__(self, event: Any, key: Hashable | None, count: int) -> None:
        self.event, self.key, self.count, self.alive = event, key, count, True


class Outbox:
    def __init__(
        self,
        *,
        maxsize: int,
        conflate_after: int,
        clock: Callable[[], float],
        key: Callable[[Any], Hashable | None] = market_key,
        on_backlog: Callable[[], None] | None = None,
    ) -> None:
        if maxsize < 1 or not 1 <= conflate_after <= maxsize:
            raise ValueError("need 1 <= conflate_after <= maxsize")
        self.maxsize, self.conflate_after, self.clock, self.key = maxsize, conflate_after, clock, key
        self._q: deque[_Entry] = deque()
        self._latest: dict[Hashable, _Entry] = {}
        self.live = 0
        self.dropped = 0  # events lost (a dropped conflated message counts every update it held)
        self.conflated = 0  # updates folded into a later one
        self.backlogged_since: float | None = None
        self._ready = asyncio.Event()
        self.on_backlog = on_backlog  # called when the backlog begins (the watchdog starts its clock)

    def __len__(self) -> int:
        return self.live

    def offer(self, ev: Any) -> None:
        key = self.key(ev)
        count = 1
        if key is not None and self.live >= self.conflate_after:
            old = self._latest.get(key)
            if old is not None and old.alive:
                old.alive = False
                self.live -= 1
                count += old.count
                self.conflated += 1
        if self.live >= self.maxsize:
            self._drop_oldest()
        entry = _Entry(ev, key, count)
        self._q.append(entry)
        self.live += 1
        if key is not None:
            self._latest[key] = entry
        if len(self._q) > 2 * self.maxsize:  # voided entries of a stalled client: compact
            self._q = deque(e for e in self._q if e.alive)
        self._mark()
        self._ready.set()

    def _drop_oldest(self) -> None:
        while self._q:
            e = self._q.popleft()
            if e.alive:
                self._forget(e)
                self.dropped += e.count
                return

    def _forget(self, e: _Entry) -> None:
        e.alive = False
        self.live -= 1
        if e.key is not None and self._latest.get(e.key) is e:
            del self._latest[e.key]

    def _mark(self) -> None:
        if self.live >= self.conflate_after:
            if self.backlogged_since is None:
                self.backlogged_since = self.clock()
                if self.on_backlog is not None:
                    self.on_backlog()
        else:
            self.backlogged_since = None

    def get_nowait(self) -> tuple[Any, int] | None:
        """The oldest waiting event and how many updates it stands for (>1: conflated); None if empty."""
        while self._q:
            e = self._q.popleft()
            if e.alive:
                self._forget(e)
                self._mark()
                return e.event, e.count
        return None

    async def get(self) -> tuple[Any, int]:
        while True:
            item = self.get_nowait()
            if item is not None:
                return item
            self._ready.clear()
            await self._ready.wait()
