"""Delivery from the connections' outboxes to their sockets: one pass per relay batch, sends run eagerly.

Why not a task per connection waiting on its outbox: every event woke one task per matching
connection (~1,000), and each wake-up allocated a future, a handle and a task step. That garbage
(~3,000 objects per event) brought generation-2 collections which paused the loop 57-152 ms, and
those pauses were the delivery p99. Here an event costs no task and no future:

- The relay's offer (FeedConsumer.offer) queues the event in the connection's outbox and marks the
  connection in its loop's Flusher. After each batch (one XREAD's events) the relay calls the
  Flusher (Relay.after_dispatch), which drains just the connections the batch marked.
- drain() sends one connection's queued events in order: the visibility gate (Visibility.allows_cached;
  only when the cache must load first does the rest move to a task), the token bucket (when it says
  wait, the event is held and loop.call_later resumes the connection: nothing sleeps), the `dropped`
  notice, then the frame, straight to the ASGI send callable.
- Each send's coroutine is driven by hand (coro.send(None)) in a copy of the current context. When
  the socket takes the frame at once, the normal case, it completes there and no Task exists. A send
  that suspends (a client that does not read: the transport paused writing) is wrapped in a Task that
  owns the connection until its queue is empty; the flush goes straight on to the others.

A connection's events are sent by one owner at a time, in outbox order: drain(), unless a send task
or a rate-limit timer owns it, or its send lock is held (control frames, and subscribe while it
replays: live events wait behind the replay). Whoever lets go drains what is left.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
import weakref
from functools import lru_cache

log = logging.getLogger("apps.streaming")
monotonic = time.monotonic
SEND = "websocket.send"


# Frames are needed while one event is being fanned out; a small cache bounds the memory big payloads hold.
@lru_cache(maxsize=1024)
def _frame(ev) -> str:
    return json.dumps({"type": "event", **ev.as_dict()}, separators=(",", ":"))


def event_json(ev, count: int = 1) -> str:
    """The event's frame. One event goes to every matching connection of the process: it is
    serialized once (cached by event), not once per client."""
    if count == 1:
        return _frame(ev)
    frame = {"type": "event", **ev.as_dict(), "conflated": True, "count": count}  # the latest of `count`
    return json.dumps(frame, separators=(",", ":"))


class Flusher:
    """The connections of one event loop with events queued since the last relay batch."""

    __slots__ = ("dirty",)

    def __init__(self) -> None:
        self.dirty: dict = {}  # consumer -> None: a set that keeps the order of marking

    def mark(self, consumer) -> None:
        self.dirty[consumer] = None

    def __call__(self) -> None:
        dirty, self.dirty = self.dirty, {}
        for consumer in dirty:
            drain(consumer)


_flushers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Flusher] = weakref.WeakKeyDictionary()


def flusher() -> Flusher:
    """The running event loop's flusher."""
    loop = asyncio.get_running_loop()
    f = _flushers.get(loop)
    if f is None:
        f = _flushers[loop] = Flusher()
    return f


def owned(c) -> bool:
    """Is someone other than drain() responsible for this connection's queue right now?"""
    return c.send_task is not None or c.timer is not None or c.send_lock.locked()


def drain(c) -> None:
    """Send what `c` has queued, eagerly, until its queue is empty or something else must resume it."""
    if c.closed or c.broken or owned(c):
        return
    try:
        while (item := _next(c)) is not None:
            ev, count, gated = item
            if not gated:  # the visibility cache must load: the rest of the queue waits for it
                c.send_task = asyncio.get_running_loop().create_task(_gate_then_drain(c, ev, count))
                return
            if not _send_now(c, ev, count):
                return
    except Exception as exc:
        _failed(c, exc)


def _next(c) -> tuple | None:
    """(event, count, True): the next event to send now (gated, and the rate limit allows it);
    (event, count, False): the next one, which only Visibility.allows() can gate; None: nothing to
    send now (the queue is empty, or the event is held until the rate limit's timer)."""
    held = c.held
    if held is not None:
        c.held = None
        return held
    box, visibility = c.outbox, c.visibility
    while (item := box.get_nowait()) is not None:
        ev, count = item
        ok = visibility.allows_cached(ev)
        if ok is None:
            return ev, count, False
        if not ok:  # the gate first: an event this user may not see costs no rate-limit token
            continue
        return (ev, count, True) if _may_send(c, ev, count) else None
    return None


def _may_send(c, ev, count) -> bool:
    """Spend a rate-limit token; when the bucket says wait, hold the event and set the timer that
    resumes the connection (meanwhile the outbox conflates and bounds what piles up)."""
    wait = c.bucket.take(monotonic())
    if wait <= 0:
        return True
    c.held = (ev, count, True)
    c.timer = asyncio.get_running_loop().call_later(wait, _wake, c)
    return False


def _wake(c) -> None:
    c.timer = None
    drain(c)


def _notice(c) -> str | None:
    """The `dropped` frame owed before the next event, if the outbox dropped any since the last one."""
    dropped = c.outbox.dropped
    if dropped <= c.reported_drops:
        return None
    text = json.dumps({"type": "dropped", "count": dropped - c.reported_drops})
    c.reported_drops = dropped
    return text


def _sent(c, ev) -> None:
    c.sent += 1
    c.last_active = monotonic()
    c.proc.count_out(max(0.0, time.time() - ev.published_at))


def _send_now(c, ev, count) -> bool:
    """Send the event (after any `dropped` notice) eagerly; False when a send suspended, and a task
    now owns the connection."""
    text = event_json(ev, count)
    notice = _notice(c)
    if notice is not None and not _eager(c, notice, text, ev):
        return False
    if not _eager(c, text, None, ev):
        return False
    _sent(c, ev)
    return True


def _eager(c, text: str, then: str | None, ev) -> bool:
    """Run one send until it completes (True) or suspends: then a task finishes it, sends `then`,
    counts `ev` and drains the rest (False)."""
    coro = c.base_send({"type": SEND, "text": text})
    ctx = contextvars.copy_context()
    try:
        yielded = ctx.run(coro.send, None)
    except StopIteration:
        return True
    c.send_task = asyncio.get_running_loop().create_task(
        _finish_then_drain(c, _Resumed(coro, yielded), then, ev), context=ctx
    )
    return False


class _Resumed:
    """The rest of a coroutine that suspended while driven by hand, for a Task to await: the future
    it yielded goes to the Task as if the coroutine had been the Task's own from the start."""

    __slots__ = ("coro", "yielded")

    def __init__(self, coro, yielded) -> None:
        self.coro, self.yielded = coro, yielded

    def __await__(self):
        coro, yielded = self.coro, self.yielded
        self.coro = self.yielded = None
        while True:
            try:
                value = yield yielded
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # the Task's cancel: into the send, which may clean up
                try:
                    yielded = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
                continue
            try:
                yielded = coro.send(value)
            except StopIteration as stop:
                return stop.value


async def _finish_then_drain(c, pending: _Resumed, then: str | None, ev) -> None:
    try:
        await pending
        if then is not None:
            await c.base_send({"type": SEND, "text": then})
        _sent(c, ev)
        await _drain_owned(c)
    except Exception as exc:
        _failed(c, exc)
    finally:
        c.send_task = None


async def _gate_then_drain(c, ev, count) -> None:
    try:
        if await c.visibility.allows(ev) and _may_send(c, ev, count):
            await _send(c, ev, count)
        await _drain_owned(c)
    except Exception as exc:
        _failed(c, exc)
    finally:
        c.send_task = None


async def _send(c, ev, count) -> None:
    text = event_json(ev, count)
    notice = _notice(c)
    if notice is not None:
        await c.base_send({"type": SEND, "text": notice})
    await c.base_send({"type": SEND, "text": text})
    _sent(c, ev)


async def _drain_owned(c) -> None:
    """drain() for the task that owns the connection: a send may suspend here, it is this task's.
    Stops for a rate-limit timer, or when a control frame or a replay wants the send lock (its holder
    drains after it)."""
    while not (c.closed or c.send_lock.locked() or c.timer is not None):
        item = _next(c)
        if item is None:
            return
        ev, count, gated = item
        if gated or (await c.visibility.allows(ev) and _may_send(c, ev, count)):
            await _send(c, ev, count)


def _failed(c, exc: Exception) -> None:
    """A send that raised: nothing more is sent on this connection (as the per-connection task of
    before, which died with it); its outbox backs up until the watchdog closes it (4429) or the
    client's disconnect arrives."""
    c.broken = True
    if isinstance(exc, OSError):  # uvicorn's ClientDisconnected: the client went away mid-send
        log.debug("%s: send failed: %r", c.scope.get("path"), exc)
    else:
        log.warning("%s: send failed, delivery stopped", c.scope.get("path"), exc_info=exc)
