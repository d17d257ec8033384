"""Delivery counts kept as plain ints and added to Prometheus once per flush (Process.mirror) give
the series observe() and inc() would have given message by message."""

from __future__ import annotations

from apps.streaming.services import metrics
from apps.streaming.services.connections import Process

# Below, on and above bucket bounds (a bound belongs to its own bucket), negative (clock skew: 0).
LATENCIES = [0.0, 0.0004, 0.001, 0.0011, 0.0025, 0.007, 0.01, 0.2, 0.25, 4.9, 5.0, 7.5, 30.0, -0.003]


def _series() -> dict[tuple[str, tuple], float]:
    out = {}
    for family in (*metrics.LATENCY.collect(), *metrics.MESSAGES_OUT.collect()):
        for s in family.samples:
            if not s.name.endswith("_created"):
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _delta(before: dict, after: dict) -> dict:
    return {k: round(after[k] - before.get(k, 0.0), 9) for k in after}


def test_mirrored_counts_equal_observing_each_message():
    start = _series()
    for x in LATENCIES:
        metrics.MESSAGES_OUT.inc()
        metrics.LATENCY.observe(max(0.0, x))
    by_message = _delta(start, mid := _series())

    proc = Process()
    for x in LATENCIES:
        proc.count_out(x)
    assert _delta(mid, _series()) == {k: 0.0 for k in by_message}  # nothing until mirrored
    proc.mirror()
    assert _delta(mid, _series()) == by_message
    proc.mirror()  # counted once only
    assert _delta(mid, _series()) == by_message
    assert proc.messages_out == len(LATENCIES) and min(proc.latencies_ms) == 0.0
    assert (
        by_message[("nautilus_ws_delivery_seconds_bucket", (("le", "0.001"),))] == 4
    )  # 0, 0.0004, 0.001, -0.003
