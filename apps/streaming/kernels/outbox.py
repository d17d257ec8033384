"""One connection's outbound queue: bounded, with market data conflated when the client falls behind.

While fewer than `conflate_after` messages wait, every event queues in order. From that depth on,
an event whose conflation key (market data: its topic, i.e. one symbol's quotes, bars or level 2)
already has a message waiting replaces it: the old entry is voided and the new one goes to the
tail, so messages still leave in id order (a client resuming from its last id misses nothing it
was not told about), and it carries how many updates it stands for. At `maxsize` waiting, the
oldest message is dropped. Every drop and conflation is counted.

`backlogged_since` is when the queue last reached `conflate_after` (None below it): a client that
stays there is too slow and the consumer closes it. Pure Python; the caller owns the clock.

An offer allocates no object the garbage collector tracks (the queue holds the shared event; what
conflation needs is ints by position): one event offered to 1,000 connections otherwise left 1,000
entries alive until the flush, which the collector promoted towards its oldest generation and then
swept in full, pausing delivery.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

MARKET = "market.data."


def market_key(ev: Any) -> Hashable | None:
    """Market data conflates per topic (market.data.<kind>.<symbol>); nothing else conflates."""
    topic = ev.topic
    return topic if topic.startswith(MARKET) else None


class Outbox:
    __slots__ = (
        "maxsize", "conflate_after", "clock", "key", "_q", "_head", "_latest", "_void", "_counts",
        "live", "dropped", "conflated", "backlogged_since", "on_backlog",
    )  # fmt: skip

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
        # The queue holds the events themselves (one object shared by every connection's queue), so
        # an offer allocates nothing the garbage collector tracks. A message is known by its
        # position, `_head` being that of _q[0]; what conflation needs is kept by position in ints.
        self._q: deque[Any] = deque()
        self._head = 0
        self._latest: dict[Hashable, int] = {}  # conflation key -> position of its waiting message
        self._void: set[int] = set()  # positions of messages replaced by a later one of their key
        self._counts: dict[int, int] = {}  # position -> updates its message stands for, when > 1
        self.live = 0
        self.dropped = 0  # events lost (a dropped conflated message counts every update it held)
        self.conflated = 0  # updates folded into a later one
        self.backlogged_since: float | None = None
        self.on_backlog = on_backlog  # called when the backlog begins (the watchdog starts its clock)

    def __len__(self) -> int:
        return self.live

    def offer(self, ev: Any) -> None:
        key = self.key(ev)
        count = 1
        if key is not None and self.live >= self.conflate_after:
            old = self._latest.get(key)
            if old is not None:
                self._void.add(old)
                self.live -= 1
                count += self._counts.pop(old, 1)
                self.conflated += 1
        if self.live >= self.maxsize:
            self._drop_oldest()
        at = self._head + len(self._q)
        self._q.append(ev)
        self.live += 1
        if count > 1:
            self._counts[at] = count
        if key is not None:
            self._latest[key] = at
        if len(self._q) > 2 * self.maxsize:  # voided entries of a stalled client: compact
            self._compact()
        self._mark()

    def _pop(self) -> tuple[Any, int] | None:
        """The oldest waiting message, taken out; None if none waits."""
        q, void = self._q, self._void
        while q:
            ev = q.popleft()
            at = self._head
            self._head = at + 1
            if void and at in void:
                void.discard(at)
                continue
            self.live -= 1
            key = self.key(ev)
            if key is not None and self._latest.get(key) == at:
                del self._latest[key]
            return ev, (self._counts.pop(at, 1) if self._counts else 1)
        return None

    def _drop_oldest(self) -> None:
        item = self._pop()
        if item is not None:
            self.dropped += item[1]

    def _compact(self) -> None:
        """Rebuild the queue without the voided messages, renumbering positions from _head."""
        kept: deque[Any] = deque()
        moved: dict[int, int] = {}
        for i, ev in enumerate(self._q):
            at = self._head + i
            if at not in self._void:
                moved[at] = self._head + len(kept)
                kept.append(ev)
        self._q, self._void = kept, set()
        self._latest = {k: moved[at] for k, at in self._latest.items()}
        self._counts = {moved[at]: n for at, n in self._counts.items()}

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
        item = self._pop()
        if item is not None:
            self._mark()
        return item
