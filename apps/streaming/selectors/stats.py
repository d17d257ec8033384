"""Reads of the WebSocket registry (services/registry.py): every live server process's connections
and counters, aggregated for GET /api/websocket/stats and POST /api/websocket/connections.

Counts and rates add up across processes. Delivery latency cannot be averaged from per-process
percentiles, so each process publishes its recent samples and p50/p99 are taken over all of them.
"""

from __future__ import annotations

import json

import numpy as np

from apps.platform.bus import connection as bus_connection

from ..services.registry import prefix

SUMMED = ("connections", "messages_in", "messages_out", "dropped", "conflated", "in_per_s", "out_per_s")


def _client():
    return bus_connection.make_client(bus_connection.config().url)


def _keys(r, kind: str) -> list[str]:
    return sorted(
        k.decode() if isinstance(k, bytes) else k for k in r.scan_iter(match=f"{prefix()}{kind}:*", count=500)
    )


def process_snapshots() -> list[dict]:
    r = _client()
    out = []
    for key in _keys(r, "proc"):
        raw = r.hget(key, "stats")
        if raw:
            out.append(json.loads(raw))
    return out


def aggregate(snapshots: list[dict]) -> dict:
    total = {k: sum(s.get(k, 0) for s in snapshots) for k in SUMMED}
    subs: dict[str, int] = {}
    for s in snapshots:
        for pattern, n in s.get("subscriptions", {}).items():
            subs[pattern] = subs.get(pattern, 0) + n
    samples = np.array([x for s in snapshots for x in s.get("latency_ms", [])], dtype=float)
    p50, p99 = np.percentile(samples, [50, 99]).tolist() if samples.size else (None, None)
    return {
        "processes": len(snapshots),
        **total,
        "subscriptions": dict(sorted(subs.items())),
        "latency_ms": {"p50": p50, "p99": p99, "samples": int(samples.size)},
        "per_process": [
            {k: s.get(k) for k in ("process", "at", *SUMMED)}
            for s in sorted(snapshots, key=lambda s: s["process"])
        ],
    }


def stats_get() -> dict:
    return aggregate(process_snapshots())


def connections_list(*, user_id: int | None = None, feed: str | None = None) -> list[dict]:
    r = _client()
    out = []
    for key in _keys(r, "conns"):
        for raw in r.hvals(key):
            conn = json.loads(raw)
            if (user_id is None or conn.get("user_id") == user_id) and (
                feed is None or conn.get("feed") == feed
            ):
                out.append(conn)
    return sorted(out, key=lambda c: (c.get("connected_at") or 0, c["id"]))


def connection_process(conn_id: str) -> str | None:
    """The process holding a connection, per the registry (None: unknown or its process is gone)."""
    process, _, _ = conn_id.rpartition(".")
    if not process:
        return None
    return process if _client().hexists(f"{prefix()}conns:{process}", conn_id) else None
