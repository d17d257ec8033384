"""Delivery from the connections' outboxes to their sockets: one pass per relay batch, sends run eagerly.

Why not a task per connection waiting on its outbox: every event woke one task per matching
connection (~1,000), and each wake-up allocated a future, a handle and a task step. That garbage
(~3,000 objects per event) brought generation-2 collections which paused the loop 57-152 ms, and
those pauses were the delivery p99. Here an event costs no task and no future:

- The relay's offer (FeedConsumer.offer) queues the event in the connection's outbox; once the
  relay's batch (one XREAD's events) has offered the connection all it matched, it calls
  FeedConsumer.offered(), which drains the connection. A batch of one event visits each connection
  once; the loop's counters go to Prometheus after the batch (Process.mirror, an after-dispatch
  callback).
- drain() sends one connection's queued events in order: the visibility gate (Visibility.allows_cached;
  only when the cache must load first does the rest move to a task), the token bucket (when it says
  wait, the event is held and loop.call_later resumes the connection: nothing sleeps), the `dropped`
  notice, then the frame.
- A connection uvicorn serves with its websockets-sansio protocol gets the frames written straight to
  its socket (wire.py): the event's frame bytes encoded once for every connection, all the frames a
  connection has queued in one write. That is the usual case; the rest of this module is the path
  through the ASGI send, taken by any other server or with compression, and by a connection whose
  transport is paused (a client not reading: the ASGI send waits for it to drain).
- On that path each send's coroutine is driven by hand (coro.send(None)) in a copy of the current
  context. When the socket takes the frame at once it completes there and no Task exists. A send
  that suspends is wrapped in a Task that owns the connection until its queue is empty; the flush
  goes straight on to the others.

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

from ..selectors.event_scope import event_scope
from .wire import encode_text

log = logging.getLogger("apps.streaming")
monotonic = time.monotonic
wall = time.time
SEND = "websocket.send"
JSON_MEMO, FRAME_MEMO = "streaming.json", "streaming.frame"  # Event.memo keys
WRITE_BYTES = 65536  # frames joined into one socket write up to this size
CLOSE_FAILED = 1011  # the server could not deliver (RFC 6455: an unexpected condition)
_closing: set[asyncio.Task] = set()  # closes after a failed send, until they finish


def event_json(ev, count: int = 1) -> str:
    """The event's frame text. One event goes to every matching connection of the process: it is
    serialized once (Event.memo), not once per client."""
    if count == 1:
        text = ev.memo.get(JSON_MEMO)
        if text is None:
            text = ev.memo[JSON_MEMO] = json.dumps({"type": "event", **ev.as_dict()}, separators=(",", ":"))
        return text
    frame = {"type": "event", **ev.as_dict(), "conflated": True, "count": count}  # the latest of `count`
    return json.dumps(frame, separators=(",", ":"))


def event_frame(ev, count: int = 1) -> bytes:
    """The event's WebSocket frame as written to the socket (wire.py), encoded once per event."""
    if count != 1:
        return encode_text(event_json(ev, count))
    frame = ev.memo.get(FRAME_MEMO)
    if frame is None:
        frame = ev.memo[FRAME_MEMO] = encode_text(event_json(ev))
    return frame


def owned(c) -> bool:
    """Is someone other than drain() responsible for this connection's queue right now?"""
    return c.send_task is not None or c.timer is not None or c.send_lock.locked()


def express(c, ev) -> bool:
    """Take `ev` for the socket without queuing it, when that changes nothing but the cost: `c` has
    nothing queued or held, no one else owns it, its socket takes frames now and the gate's cache
    can answer. The gate, the rate limit, then the frame joins `c.pending`, which drain() writes after
    the relay's batch ahead of anything queued. False: the outbox's way (FeedConsumer.offer)."""
    wire, box = c.wire, c.outbox
    if (
        wire is None
        or box.live
        or c.held is not None
        or c.closed
        or c.broken
        or c.send_task is not None  # owned(c), inline: this runs per event and connection
        or c.timer is not None
        or c.send_lock.locked()
        or box.dropped > c.reported_drops  # a `dropped` notice is owed first
        or len(c.pending) >= WRITE_BYTES  # a big batch: the rest goes through the bounded outbox
        or not wire.ready()
    ):
        return False
    ok = True if event_scope(ev).public else c.visibility.allows_cached(ev)
    if ok is None:
        return False
    if ok and _may_send(c, ev, 1):  # not for this user: gone, as from the queue; a wait: held
        c.pending += event_frame(ev)
        c.sent += 1
        c.proc.count_out(wall() - ev.published_at)
    return True


def drain(c) -> None:
    """Send what `c` has queued, eagerly, until its queue is empty or something else must resume it."""
    try:
        if c.pending:  # what express() took in this batch comes before anything queued or held
            pending, c.pending = c.pending, b""
            c.wire.write(pending)
            c.last_active = monotonic()
            if not c.outbox.live and c.held is None:  # the usual case: express() took everything
                return
        if c.closed or c.broken or owned(c):
            return
        if c.wire is not None and _write_direct(c):
            return
        while (item := _next(c)) is not None:
            ev, count, gated = item
            if not gated:  # the visibility cache must load: the rest of the queue waits for it
                c.send_task = asyncio.get_running_loop().create_task(_gate_then_drain(c, ev, count))
                return
            if not _send_now(c, ev, count):
                return
    except Exception as exc:
        _failed(c, exc)


def _write_direct(c) -> bool:
    """Write the queue straight to the socket (wire.py), up to WRITE_BYTES of frames per write, while
    the transport takes them. True: done (the queue is empty, or the rate limit's timer holds the
    next event). False: the rest takes the ASGI path, because the transport paused (the ASGI send
    waits for it to drain) or the next event's gate must load (it is held for that path)."""
    wire = c.wire
    while wire.ready():
        buf, now = b"", wall()
        while len(buf) < WRITE_BYTES:
            item = _next(c)
            if item is None or not item[2]:
                if buf:
                    wire.write(buf)
                    c.last_active = monotonic()
                if item is None:
                    return True
                c.held = item
                return False
            ev, count, _ = item
            notice = _notice(c)
            if notice is not None:
                buf += encode_text(notice)
            buf += event_frame(ev, count)
            c.sent += 1
            c.proc.count_out(now - ev.published_at)
        wire.write(buf)
        c.last_active = monotonic()
    return False


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
    c.proc.count_out(wall() - ev.published_at)


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
    """A send that raised: nothing more is sent on this connection. A client that went away
    (uvicorn's ClientDisconnected, an OSError) has its disconnect on the way. Anything else is
    our fault: the connection is closed with 1011 at once rather than left silent until the
    watchdog, so the client reconnects with its last id and replays what it missed."""
    c.broken = True
    if isinstance(exc, OSError):
        log.debug("%s: send failed: %r", c.scope.get("path"), exc)
        return
    log.warning("%s: send failed, connection closed (1011)", c.scope.get("path"), exc_info=exc)
    if not c.closed:
        task = asyncio.get_running_loop().create_task(c.close_with(CLOSE_FAILED, "delivery failed"))
        _closing.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(_closed)


def _closed(task: asyncio.Task) -> None:
    _closing.discard(task)
    if not task.cancelled() and task.exception() is not None:  # the close frame could not go either
        log.debug("close after a failed send failed: %r", task.exception())
