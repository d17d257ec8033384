"""From what the publisher sent and the client processes received to one step's figures, and from the
steps to the issue's targets. Pure functions over dicts and float64 arrays (tested by hand).

A step's delivered rate is the messages of that step that arrived, over the time from its first
publish to its last arrival: a server that falls behind stretches that span and its rate falls, and
a backlog that spills into the next step still counts for the step it belongs to.
"""

from __future__ import annotations

import numpy as np

TARGETS = {"connections": 1000, "delivered_per_s": 50_000, "p99_ms": 25.0}  # issue #16, one process


def latencies_ms(tallies: list[dict]) -> np.ndarray:
    parts = [np.frombuffer(t["latencies"], dtype=np.float64) for t in tallies]
    return np.concatenate(parts) * 1000.0 if parts else np.empty(0)


def step_summary(account: dict, target: int, subscribed: int, tallies: list[dict]) -> dict:
    """`account`: the publisher's for this step; `tallies`: each client process's for it (clients.Tally);
    `subscribed`: the connections that were subscribed when the step began."""
    lat = latencies_ms(tallies)
    received = sum(t["count"] for t in tallies)
    conflated = sum(t.get("conflated", 0) for t in tallies)
    expected = account["published"] * subscribed
    arrivals = [t["last"] for t in tallies if t["count"]]
    span = (max(arrivals) - account["started"]) if arrivals else 0.0
    p50, p99 = np.percentile(lat, [50, 99]) if lat.size else (float("nan"), float("nan"))
    return {
        "target_per_s": target,
        "events_per_s": round(account["rate"], 2),
        "offered_per_s": round(account["rate"] * subscribed, 1),
        "published": account["published"],
        "publish_failed": account["failed"],
        "expected": expected,
        "received": received,
        "missing": max(0, expected - received - conflated),
        "conflated": conflated,  # replaced by a later update of the same topic (a slow client's feed)
        "extra": max(0, received - expected),  # more than sent: duplicates (never expected)
        "dropped": sum(t["dropped"] for t in tallies),
        "out_of_order": sum(t["disorder"] for t in tallies),
        "delivered_per_s": round(received / span, 1) if span > 0 else 0.0,
        "p50_ms": round(float(p50), 3),
        "p99_ms": round(float(p99), 3),
        "max_ms": round(float(lat.max()), 3) if lat.size else float("nan"),
    }


def complete(step: dict) -> bool:
    """Every message of the step reached every client, none dropped, conflated away or sent twice."""
    return step["missing"] == 0 and step["dropped"] == 0 and step["extra"] == 0 and step["conflated"] == 0


def best_complete(steps: list[dict]) -> dict | None:
    """The step with the highest delivered rate among the complete ones."""
    done = [s for s in steps if complete(s)]
    return max(done, key=lambda s: s["delivered_per_s"]) if done else None


def best_within_p99(steps: list[dict], p99_ms: float = TARGETS["p99_ms"]) -> float:
    """The highest delivered rate of a complete step whose p99 stayed under `p99_ms`; 0 if none did.
    A complete step can still have fallen behind (every message arrived, seconds late): this is the
    rate the server kept up with."""
    rates = [s["delivered_per_s"] for s in steps if complete(s) and s["p99_ms"] < p99_ms]
    return max(rates, default=0.0)


def against_targets(held: int, steps: list[dict]) -> dict:
    """The issue's targets next to what was measured. The delivered rate is the best complete step's
    (a rate reached by losing messages does not count). The p99 is judged at every step up to the
    target rate: the worst of their p99s, met when each of them delivered everything, the target
    rate's step among them, under 25 ms. (At the best complete step the server may be saturated: its
    p99 is reported as well, but a latency target is about the load it is set for.)"""
    best = best_complete(steps)
    rate = best["delivered_per_s"] if best else 0.0
    upto = [s for s in steps if s["target_per_s"] <= TARGETS["delivered_per_s"]]
    worst = max((s["p99_ms"] for s in upto), default=None)
    return {
        "connections": {
            "target": TARGETS["connections"],
            "measured": held,
            "met": held >= TARGETS["connections"],
        },
        "delivered_per_s": {
            "target": TARGETS["delivered_per_s"],
            "measured": rate,
            "met": rate >= TARGETS["delivered_per_s"],
        },
        "p99_ms": {
            "target": TARGETS["p99_ms"],
            "measured": worst,  # the worst step's, up to the target rate
            "steps": [s["target_per_s"] for s in upto],
            "met": worst is not None
            and worst < TARGETS["p99_ms"]
            and all(complete(s) for s in upto)
            and any(s["target_per_s"] == TARGETS["delivered_per_s"] for s in upto),
        },
        "p99_ms_at_best_complete": best["p99_ms"] if best else None,
        "delivered_per_s_within_p99": best_within_p99(steps),
    }


def server_cost(steps: list[dict]) -> float | None:
    """The server's CPU microseconds per delivered message at the best complete step (the highest
    load it kept up with: per-event costs are spread over the most messages there; a saturated step's
    CPU also went to messages still queued). On a shared machine the wall-clock figures move with
    the neighbours' load, this one much less; 1e6 / cost is what one fully used core would deliver."""
    best = best_complete(steps)
    return best["server_cpu_us_per_msg"] if best else None
