"""Each server process in Redis: its connections and counters for everyone to read, and a control
channel on which management commands reach its connections.

One agent task per process (started with its first connection, like the bus relay) every
STREAM_REGISTRY_INTERVAL_S writes
    {prefix}ws:proc:{process}    hash  stats -> JSON snapshot (counters, rates, latency samples)
    {prefix}ws:conns:{process}   hash  connection id -> JSON description
each with a TTL of three intervals, so a dead process disappears from stats and lists on its own,
and listens on {prefix}ws:control:{process} (Redis pub/sub) for commands addressed to one of its
connections: close, subscribe, unsubscribe. The answer goes back on the list named in the command's
`reply` (LPUSH, short TTL), where the HTTP view waits for it (control.py). {prefix} is the bus's
key prefix, so tests on a private bus prefix get a private registry.

The agent runs on the loop that delivers events: it walks the connections CHUNK at a time
(subscription counts, then descriptions) and yields to the loop between chunks, so a snapshot of
1,000 connections never holds delivery up for the whole walk.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

import redis
from django.conf import settings

from apps.platform.bus import connection as bus_connection

from ..kernels.filters import FilterError, compile_filter
from .connections import Process

log = logging.getLogger("apps.streaming")
CLOSE_BY_OPERATOR = 4000
MAX_SAMPLES_PUBLISHED = 512  # latency samples per process per snapshot: enough for a p99 estimate
CHUNK = 100  # connections walked between two yields to the event loop


def prefix() -> str:
    return bus_connection.config().prefix + "ws:"


def interval() -> float:
    return float(settings.STREAM_REGISTRY_INTERVAL_S)


def ensure_agent(proc: Process) -> None:
    if proc.agent is None or proc.agent.done():
        proc.agent = asyncio.get_running_loop().create_task(_run(proc), name="ws-registry")


async def _chunks(proc: Process):
    """The live connections as (id, consumer) lists of CHUNK, yielding to the loop between two.
    A connection gone meanwhile is left out of the chunks after it."""
    items = list(proc.live.items())
    for start in range(0, len(items), CHUNK):
        if start:
            await asyncio.sleep(0)
        yield [(cid, c) for cid, c in items[start : start + CHUNK] if proc.live.get(cid) is c]


def _count_patterns(consumers, subs: dict[str, int]) -> dict[str, int]:
    for consumer in consumers:
        for p in consumer.subs.patterns:
            subs[p] = subs.get(p, 0) + 1
    return subs


async def snapshot_chunked(proc: Process, last: dict | None) -> dict:
    """snapshot() built CHUNK connections at a time; taken at the end of the walk."""
    subs: dict[str, int] = {}
    async for chunk in _chunks(proc):
        _count_patterns((c for _, c in chunk), subs)
    return snapshot(proc, last, time.time(), subs=subs)


async def describe_chunked(proc: Process) -> dict[str, str]:
    """connection id -> JSON description of every live connection, CHUNK at a time."""
    out: dict[str, str] = {}
    async for chunk in _chunks(proc):
        out.update((cid, json.dumps(c.describe())) for cid, c in chunk)
    return out


def snapshot(proc: Process, last: dict | None, now: float, *, subs: dict[str, int] | None = None) -> dict:
    """The process's counters and subscriptions per pattern (`subs`, when already counted)."""
    if subs is None:
        subs = _count_patterns(proc.live.values(), {})
    span = now - last["at"] if last else 0.0
    samples = list(proc.latencies_ms)[-MAX_SAMPLES_PUBLISHED:]
    return {
        "process": proc.id,
        "at": now,
        "connections": len(proc.live),
        "subscriptions": subs,
        "messages_in": proc.messages_in,
        "messages_out": proc.messages_out,
        "dropped": proc.dropped,
        "conflated": proc.conflated,
        # Per second over the last interval: what the counters moved by since the previous snapshot.
        "in_per_s": (proc.messages_in - last["messages_in"]) / span if span > 0 else 0.0,
        "out_per_s": (proc.messages_out - last["messages_out"]) / span if span > 0 else 0.0,
        "latency_ms": [round(x, 3) for x in samples],
    }


async def _publish(r, proc: Process, last: dict | None) -> dict:
    proc.mirror()  # what a send task counted since the last relay batch
    snap = await snapshot_chunked(proc, last)
    conns = await describe_chunked(proc)
    ttl = max(1, int(3 * interval() + 0.999))
    p = prefix()
    pipe = r.pipeline(transaction=True)
    pipe.hset(f"{p}proc:{proc.id}", "stats", json.dumps(snap))
    pipe.expire(f"{p}proc:{proc.id}", ttl)
    pipe.delete(f"{p}conns:{proc.id}")
    if conns:
        pipe.hset(f"{p}conns:{proc.id}", mapping=conns)
        pipe.expire(f"{p}conns:{proc.id}", ttl)
    await pipe.execute()
    return snap


async def _unpublish(r, proc: Process) -> None:
    p = prefix()
    await r.delete(f"{p}proc:{proc.id}", f"{p}conns:{proc.id}")


async def execute(proc: Process, cmd: dict) -> dict:
    """Carry out one command on a connection of this process; the answer for the caller."""
    consumer = proc.live.get(cmd.get("conn"))
    if consumer is None or consumer.closed:
        return {"ok": False, "status": 404, "detail": "no such connection"}
    op = cmd.get("op")
    if op == "close":
        await consumer.close_with(CLOSE_BY_OPERATOR, str(cmd.get("reason") or "closed by an operator")[:120])
        return {"ok": True}
    if op in ("subscribe", "unsubscribe"):
        patterns = cmd.get("patterns") or []
        if op == "unsubscribe":
            await consumer.unsubscribe(patterns)
        else:
            try:
                flt = compile_filter(cmd.get("filters"))
                await consumer.subscribe(patterns, flt, None)
            except (FilterError, ValueError) as exc:
                return {"ok": False, "status": 400, "detail": str(exc)}
        return {"ok": True, "patterns": sorted(consumer.subs.patterns)}
    return {"ok": False, "status": 400, "detail": f"unknown op {op!r}"}


async def _answer(r, cmd: dict, answer: dict) -> None:
    reply = cmd.get("reply")
    if isinstance(reply, str) and reply.startswith(prefix() + "reply:"):
        pipe = r.pipeline(transaction=True)
        pipe.lpush(reply, json.dumps(answer))
        pipe.expire(reply, 30)
        await pipe.execute()


async def _listen(r, proc: Process, pubsub) -> None:
    """Commands for one interval (or until the last connection goes)."""
    deadline = time.monotonic() + interval()
    while (left := deadline - time.monotonic()) > 0 and proc.live:
        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=min(left, 1.0))
        if msg is None or msg.get("type") != "message":
            continue
        try:
            cmd = json.loads(msg["data"])
        except (TypeError, ValueError):
            continue
        if isinstance(cmd, dict):
            await _answer(r, cmd, await execute(proc, cmd))


async def _run(proc: Process) -> None:
    cfg = bus_connection.config()
    r = bus_connection.make_async_client(cfg.url, socket_timeout=10)
    pubsub = None
    last: dict | None = None
    try:
        while True:
            while proc.live:
                try:
                    if pubsub is None:
                        pubsub = r.pubsub()
                        await pubsub.subscribe(f"{prefix()}control:{proc.id}")
                    last = await _publish(r, proc, last)
                    await _listen(r, proc, pubsub)
                except redis.RedisError as exc:  # the registry must outlive a Redis hiccup
                    log.warning("ws registry lost Redis (%s); retrying", exc)
                    pubsub = None
                    await asyncio.sleep(1.0)
            with contextlib.suppress(redis.RedisError):
                await _unpublish(r, proc)
            if not proc.live:  # a connection that came during the clean-up keeps the agent on
                break
    finally:
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
        await r.aclose()
