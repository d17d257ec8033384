"""One bus reader per process (per event loop) shared by every WebSocket connection in it.

A reader per connection would have Redis send each event once per client and hold one blocked
connection per client; the relay reads each event once with XREAD BLOCK over the union of the
listeners' streams and hands it to every matching listener's bounded asyncio queue. It starts with
the first listener and stops with the last, so an idle process holds no Redis connection.

A listener sees events with ids above the relay's cursor at the moment it attached (`since`);
replay of older events is read_range(), which the caller runs before draining the queue.
A slow listener loses its oldest queued events (counted in Listener.dropped), never blocks others;
a listener may bring its own sink (anything with offer(event)) to queue differently (the streaming
engine's conflating outbox). Dispatch looks the event's topic up in a PatternIndex (index.py): the
cost per event is the listeners it matches, not every listener's every pattern.

A sink with an `offered()` method is called once a batch (one XREAD's events) has offered it all it
matched, so it can deliver them together rather than wake a task of its own per event. A batch of
one event, the usual case, visits each listener once: offer, then offered() while its objects are
still in the CPU's caches (over 1,000 connections, a second pass to deliver found them evicted).
After each batch the relay calls its after-dispatch callbacks (after_dispatch()).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Callable, Iterable

import redis

from . import connection, metrics
from .events import Event, decode_entry, id_key
from .index import PatternIndex
from .reader import StreamPlan, _s, merge, normalize_id
from .topics import topic_family, validate_pattern

log = logging.getLogger("apps.platform.bus")

BLOCK_MS = 1000
COUNT = 1000
QUEUE_SIZE = 2000


class Listener:
    """One subscriber of the relay. `accept` (optional) is a further test on an event its patterns
    matched (field filters); `sink` (optional) receives the events instead of the bounded queue."""

    # Slots: dispatch reads a listener per event, over every listener the event matches.
    __slots__ = ("patterns", "since", "queue", "dropped", "accept", "sink", "offered", "__weakref__")

    def __init__(
        self,
        patterns: Iterable[str],
        since: str,
        maxsize: int = QUEUE_SIZE,
        *,
        accept: Callable[[Event], bool] | None = None,
        sink=None,
    ) -> None:
        self.patterns: frozenset[str] = frozenset(patterns)
        self.since = id_key(since)
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0
        self.accept = accept
        self.sink = sink
        self.offered: Callable[[], None] | None = getattr(sink, "offered", None)

    def offer(self, ev: Event, key: tuple[int, int]) -> bool:
        """Queue `ev` if it is new to this listener and passes its filter; whether it was taken."""
        if key <= self.since or (self.accept is not None and not self.accept(ev)):
            return False
        if self.sink is not None:
            self.sink.offer(ev)
            return True
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(ev)
        return True


class Relay:
    def __init__(self) -> None:
        self.listeners: set[Listener] = set()
        self.index = PatternIndex()
        self.cursor = "0-0"
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._plan: StreamPlan | None = None
        self._client: redis.asyncio.Redis | None = None  # non-blocking commands (seq, replay)
        self._after: list[Callable[[], None]] = []

    def after_dispatch(self, callback: Callable[[], None]) -> None:
        """Have `callback()` called after every dispatched batch (synchronously, on the relay's task).
        Idempotent; a callback stays for the relay's life (one relay per event loop)."""
        if callback not in self._after:
            self._after.append(callback)

    def _union(self) -> set[str]:
        return set().union(*(lis.patterns for lis in self.listeners)) if self.listeners else set()

    async def attach(self, patterns: Iterable[str] = (), *, accept=None, sink=None) -> Listener:
        patterns = [validate_pattern(p) for p in patterns]
        async with self._lock:
            if self._task is None or self._task.done():
                cfg = connection.config()
                self._client = connection.make_async_client(cfg.url, socket_timeout=5)
                self._plan = StreamPlan(cfg)
                self.cursor = _s(await self._client.get(cfg.seq_key)) or "0-0"
                self._task = asyncio.create_task(self._run(cfg), name="bus-relay")
            listener = Listener(patterns, self.cursor, accept=accept, sink=sink)
            self.listeners.add(listener)
            self.index.add_all(listener.patterns, listener)
            self._replan()
            return listener

    def update(self, listener: Listener, patterns: Iterable[str]) -> str:
        """Change a listener's patterns; returns the cursor from which new patterns are live."""
        new = frozenset(validate_pattern(p) for p in patterns)
        if listener in self.listeners:
            self.index.remove_all(listener.patterns - new, listener)
            self.index.add_all(new - listener.patterns, listener)
        listener.patterns = new
        self._replan()
        return self.cursor

    async def detach(self, listener: Listener) -> None:
        async with self._lock:
            if listener in self.listeners:
                self.listeners.discard(listener)
                self.index.remove_all(listener.patterns, listener)
            if self.listeners:
                self._replan()
                return
            task, client, self._task, self._client = self._task, self._client, None, None
        if task is not None:
            self._changed.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if client is not None:
            await client.aclose()

    def _replan(self) -> None:
        if self._plan is not None and self._plan.set_patterns(self._union()):
            self._changed.set()  # interrupt the blocked XREAD so new streams are read from the cursor

    async def read_range(
        self, patterns: Iterable[str], *, after: str, upto: str, limit: int = 10_000
    ) -> tuple[list[Event], bool]:
        """Events matching `patterns` with after < id <= upto, oldest first; (events, truncated)."""
        after = normalize_id(after) or upto
        if self._client is None or id_key(after) >= id_key(upto):
            return [], False
        cfg = connection.config()
        plan = StreamPlan(cfg, patterns)
        plan.known |= {cfg.family_of_key(_s(m)) for m in await self._client.smembers(cfg.streams_key)}
        out: list[Event] = []
        for key in plan.keys():
            items = await self._client.xrange(key, min=f"({after}", max=upto, count=limit + 1)
            out += [e for e in (decode_entry(i, f) for i, f in items) if plan.matches(e.topic)]
        out.sort(key=lambda e: id_key(e.id))
        return out[:limit], len(out) > limit

    async def trimmed_after(self, patterns: Iterable[str], *, after: str) -> str | None:
        """Has a stream these patterns read lost entries newer than `after` to MAXLEN trimming? The
        oldest id still kept where it has (the newest such, over the streams), else None.

        A stream is trimmed when XINFO's entries-added exceeds its length; trimming removes from the
        head, so when its first kept entry is newer than `after`, entries between may be gone
        (conservative: the one trimmed entry may also have been `after` itself)."""
        after = normalize_id(after) or "0-0"
        if self._client is None:
            return None
        cfg = connection.config()
        plan = StreamPlan(cfg, patterns)
        plan.known |= {cfg.family_of_key(_s(m)) for m in await self._client.smembers(cfg.streams_key)}
        worst: str | None = None
        for key in plan.keys():
            try:
                info = await self._client.xinfo_stream(key)
            except redis.ResponseError:  # no such stream: nothing was ever kept, nothing lost
                continue
            first = info.get("first-entry")
            if not first or info.get("entries-added", 0) <= info.get("length", 0):
                continue
            first_id = _s(first[0])
            if id_key(first_id) > id_key(after) and (worst is None or id_key(first_id) > id_key(worst)):
                worst = first_id
        return worst

    def _dispatch(self, events: list[Event]) -> None:
        if len(events) == 1:
            ev = events[0]
            key, n = id_key(ev.id), 0
            for lis in self.index.match(ev.topic):
                if lis.offer(ev, key):
                    n += 1
                    if lis.offered is not None:
                        try:  # inline, not _offered(): this loop runs per connection
                            lis.offered()
                        except Exception:
                            log.exception("bus relay: offered() of %r failed", lis.sink)
            self._count(ev, n)
        else:
            matched: set[Listener] = set()
            for ev in events:
                key, n, listeners = id_key(ev.id), 0, self.index.match(ev.topic)
                for lis in listeners:
                    n += lis.offer(ev, key)
                matched |= listeners
                self._count(ev, n)
            for lis in matched:  # one that took none of them has nothing new: offered() finds nothing
                if lis.offered is not None:
                    self._offered(lis)
        for callback in self._after:
            try:
                callback()
            except Exception:  # one sink's failure must not stop the relay or the other callbacks
                log.exception("bus relay: after-dispatch callback %r failed", callback)

    @staticmethod
    def _offered(lis: Listener) -> None:
        try:
            lis.offered()
        except Exception:  # one sink's failure must not stop the relay or the other listeners
            log.exception("bus relay: offered() of %r failed", lis.sink)

    @staticmethod
    def _count(ev: Event, n: int) -> None:
        if n:
            metrics.CONSUMED.labels(family=topic_family(ev.topic)).inc(n)

    async def _run(self, cfg) -> None:
        r = connection.make_async_client(cfg.url, socket_timeout=BLOCK_MS / 1000 + 5)
        plan = self._plan
        delay, warned = 0.2, 0.0
        me = asyncio.current_task()
        try:
            # Not just `while True`: a cancel that lands inside redis-py's pipeline can be absorbed
            # there, so the loop also ends once detach() has let go of this task.
            while self._task is me:
                try:
                    if plan.due():
                        pipe = r.pipeline(transaction=True)
                        pipe.smembers(cfg.streams_key)
                        pipe.get(cfg.seq_key)
                        for key, after in plan.apply_refresh(*await pipe.execute()):
                            items = await r.xrange(key, min=f"({after}", max=self.cursor)
                            self._dispatch([decode_entry(i, f) for i, f in items])
                    keys = plan.keys()
                    self._changed.clear()
                    if self._task is not me:
                        break
                    if not keys:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._changed.wait(), BLOCK_MS / 1000)
                        continue
                    read = asyncio.ensure_future(
                        r.xread({k: self.cursor for k in keys}, count=COUNT, block=BLOCK_MS)
                    )
                    changed = asyncio.ensure_future(self._changed.wait())
                    try:
                        await asyncio.wait({read, changed}, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        changed.cancel()
                        if not read.done():
                            read.cancel()
                            with contextlib.suppress(asyncio.CancelledError, redis.RedisError):
                                await read
                    if read.cancelled():
                        continue
                    events, self.cursor, _ = merge(read.result(), self.cursor, COUNT)
                    self._dispatch(events)
                    delay = 0.2
                except redis.RedisError as exc:  # any of them: the relay must outlive a Redis hiccup
                    if time.monotonic() - warned > 10:
                        log.warning("bus relay lost Redis (%s); retrying from %s", exc, self.cursor)
                        warned = time.monotonic()
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
        finally:
            await r.aclose()


_relays: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Relay] = weakref.WeakKeyDictionary()


def relay() -> Relay:
    """The relay of the running event loop."""
    loop = asyncio.get_running_loop()
    r = _relays.get(loop)
    if r is None:
        r = _relays[loop] = Relay()
    return r
