"""One task per connection that closes it when a limit is passed, with a code and a reason:

    4408 heartbeat timeout   the server pings ({"type": "ping"}) every STREAM_HEARTBEAT_S (the first
                             time in the second half of the first interval); a client
                             that sends no frame within STREAM_HEARTBEAT_TIMEOUT_S of a ping is gone
                             (a half-open TCP connection would otherwise hold its queue for hours)
    4409 idle                no client action and no event sent for STREAM_IDLE_TIMEOUT_S
    4410 lifetime            open for STREAM_MAX_LIFETIME_S (tokens and permissions get re-checked
                             at the next connect)
    4429 too slow            the outbox stayed at its conflation depth for STREAM_SLOW_CLOSE_S

It sleeps until the nearest deadline rather than ticking, so an idle connection costs one timer;
the outbox wakes it when a backlog begins.
A limit of 0 is off. Settings are read per connection (tests shrink them).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

from django.conf import settings

from apps.platform.timestamps import iso_utc

CLOSE_HEARTBEAT = 4408
CLOSE_IDLE = 4409
CLOSE_LIFETIME = 4410
CLOSE_TOO_SLOW = 4429
SLOW_POLL_S = 0.5  # while backlogged, how often the watchdog looks whether it still is


def first_ping(now: float, hb: float) -> float | None:
    """When to ping first: at a random point of the second half of the first interval. Clients that
    connected together (a server restart, a bench) would otherwise be pinged together, and answer
    together, every interval for ever. None: heartbeats are off."""
    return now + hb * (0.5 + random.random() / 2) if hb > 0 else None


async def watch(consumer) -> None:
    hb = float(settings.STREAM_HEARTBEAT_S)
    hb_timeout = float(settings.STREAM_HEARTBEAT_TIMEOUT_S)
    idle = float(settings.STREAM_IDLE_TIMEOUT_S)
    life = float(settings.STREAM_MAX_LIFETIME_S)
    slow = float(settings.STREAM_SLOW_CLOSE_S)
    clock = time.monotonic
    next_ping = first_ping(clock(), hb)
    ping_at: float | None = None
    while not consumer.closed:
        now = clock()
        if ping_at is not None and consumer.last_frame >= ping_at:
            ping_at = None  # answered
        if ping_at is not None and hb_timeout > 0 and now >= ping_at + hb_timeout:
            return await consumer.close_with(
                CLOSE_HEARTBEAT, f"no answer to a heartbeat within {hb_timeout:g} s"
            )
        if idle > 0 and now >= consumer.last_active + idle:
            return await consumer.close_with(CLOSE_IDLE, f"idle for {idle:g} s")
        if life > 0 and now >= consumer.opened_at + life:
            return await consumer.close_with(CLOSE_LIFETIME, f"connection older than {life:g} s: reconnect")
        since = consumer.outbox.backlogged_since
        if slow > 0 and since is not None and now >= since + slow:
            return await consumer.close_with(
                CLOSE_TOO_SLOW,
                f"too slow: {len(consumer.outbox)} messages waiting for {slow:g} s "
                f"({consumer.outbox.dropped} dropped, {consumer.outbox.conflated} conflated)",
            )
        if next_ping is not None and now >= next_ping:
            # One outstanding ping at a time: its deadline is what counts. A send in progress (a
            # client not reading blocks it) is not waited for: the too-slow limit handles that one.
            if ping_at is None and not consumer.sending():
                ping_at = now
                await consumer.send_json({"type": "ping", "ts": iso_utc(time.time())})
            next_ping = now + hb
        deadlines = [
            d
            for d in (
                next_ping,
                consumer.last_active + idle if idle > 0 else None,
                consumer.opened_at + life if life > 0 else None,
                ping_at + hb_timeout if ping_at is not None and hb_timeout > 0 else None,
            )
            if d
        ]
        wake = min(deadlines, default=now + 60.0) - now
        if since is not None or consumer.outbox.live:
            wake = min(wake, SLOW_POLL_S if slow <= 0 else min(SLOW_POLL_S, slow))
        consumer.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(consumer.wake.wait(), max(wake, 0.001))
