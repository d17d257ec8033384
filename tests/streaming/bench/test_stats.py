"""A step's figures and the targets, against hand-worked examples."""

from __future__ import annotations

from array import array

import pytest

from apps.streaming.bench.measure import cpu_shares, split
from apps.streaming.bench.run import sizes_for
from apps.streaming.bench.stats import (
    against_targets,
    best_complete,
    best_within_p99,
    server_cost,
    step_summary,
)


def _tally(latencies_ms, *, last, dropped=0, disorder=0) -> dict:
    return {
        "count": len(latencies_ms),
        "first": 0.0,
        "last": last,
        "disorder": disorder,
        "dropped": dropped,
        "latencies": array("d", [x / 1000 for x in latencies_ms]).tobytes(),
    }


ACCOUNT = {"step": 0, "published": 25, "failed": 0, "started": 1000.0, "seconds": 4.9, "rate": 5.0}


def test_a_step_merges_the_processes_latencies_counts_and_span():
    # 1..100 ms over two processes: linear-interpolated p50 = (50 + 51) / 2, p99 = 99 + 0.01 * (100 - 99).
    a = _tally(range(1, 61), last=1004.0, dropped=2, disorder=1)
    b = _tally(range(61, 101), last=1005.0)
    s = step_summary(ACCOUNT, 500, 4, [a, b])
    assert s["received"] == 100 and s["expected"] == 25 * 4 and s["missing"] == 0 and s["extra"] == 0
    assert s["p50_ms"] == pytest.approx(50.5) and s["p99_ms"] == pytest.approx(99.01)
    assert s["max_ms"] == pytest.approx(100.0)
    # 100 messages from the first publish (t=1000) to the last arrival (t=1005): 20 a second.
    assert s["delivered_per_s"] == pytest.approx(20.0)
    assert s["offered_per_s"] == pytest.approx(20.0)  # 5 events/s x 4 connections
    assert s["dropped"] == 2 and s["out_of_order"] == 1


def test_missing_and_extra_messages_are_counted_and_make_a_step_incomplete():
    short = step_summary(ACCOUNT, 500, 5, [_tally([1.0] * 120, last=1005.0)])
    assert short["missing"] == 5 and short["extra"] == 0  # 25 x 5 expected
    extra = step_summary(ACCOUNT, 500, 4, [_tally([1.0] * 101, last=1005.0)])
    assert extra["extra"] == 1 and extra["missing"] == 0
    full = step_summary(ACCOUNT, 500, 4, [_tally([1.0] * 100, last=1005.0)])
    assert best_complete([short, extra, full]) is full


def test_conflated_updates_are_neither_received_nor_missing_and_make_a_step_incomplete():
    tally = _tally([1.0] * 90, last=1005.0) | {"conflated": 10}  # 90 frames stood for 100 updates
    s = step_summary(ACCOUNT, 500, 4, [tally])
    assert s["received"] == 90 and s["conflated"] == 10 and s["missing"] == 0
    assert best_complete([s]) is None


def test_a_step_nobody_received_has_no_rate_and_no_percentiles():
    s = step_summary(ACCOUNT, 500, 4, [])
    assert s["received"] == 0 and s["missing"] == 100 and s["delivered_per_s"] == 0.0
    assert s["p99_ms"] != s["p99_ms"]  # NaN: nothing measured, not zero


def _step(target, delivered, p99, missing=0):
    return {"target_per_s": target, "delivered_per_s": delivered, "p99_ms": p99, "missing": missing,
            "dropped": 0, "extra": 0, "conflated": 0}  # fmt: skip


def test_rate_target_takes_the_best_complete_step_only():
    t = against_targets(1000, [_step(80_000, 80_000.0, 10.0, missing=3), _step(50_000, 52_000.0, 30.0)])
    assert t["connections"]["met"] is True
    assert t["delivered_per_s"] == {"target": 50_000, "measured": 52_000.0, "met": True}
    assert t["p99_ms_at_best_complete"] == 30.0
    assert t["delivered_per_s_within_p99"] == 0.0  # the complete step's p99 is over 25 ms
    assert against_targets(999, [])["connections"]["met"] is False
    assert against_targets(999, [])["delivered_per_s"]["met"] is False
    assert against_targets(999, [])["p99_ms"]["met"] is False


def test_p99_target_is_the_worst_step_up_to_the_target_rate():
    ramp = [_step(10_000, 10_000.0, 24.0), _step(25_000, 25_000.0, 18.0), _step(50_000, 50_000.0, 16.0)]
    saturated = _step(100_000, 99_000.0, 60.0)
    t = against_targets(1000, [*ramp, saturated])
    assert t["p99_ms"] == {"target": 25.0, "measured": 24.0, "steps": [10_000, 25_000, 50_000], "met": True}
    assert t["p99_ms_at_best_complete"] == 60.0 and t["delivered_per_s_within_p99"] == 50_000.0
    slow_start = [_step(10_000, 10_000.0, 26.0), *ramp[1:]]  # under load fine, at 10k not
    assert against_targets(1000, slow_start)["p99_ms"]["met"] is False
    lossy = [*ramp[:2], _step(50_000, 49_000.0, 16.0, missing=5)]
    assert against_targets(1000, lossy)["p99_ms"]["met"] is False
    assert against_targets(1000, ramp[:2])["p99_ms"]["met"] is False  # 50,000 never asked for


def test_clients_split_over_processes_and_sizes_are_checked():
    assert split(1000, 3) == [334, 333, 333] and split(5, 2) == [3, 2]
    sizes = sizes_for(False, {"clients": 3, "processes": 8, "seconds": "1.5"})
    assert sizes["clients"] == 3 and sizes["processes"] == 3 and sizes["seconds"] == 1.5
    assert sizes_for(True, {})["clients"] == 50
    with pytest.raises(ValueError, match="positive"):
        sizes_for(True, {"steps": []})
    with pytest.raises(ValueError, match="positive"):
        sizes_for(True, {"clients": 0})
    with pytest.raises(ValueError, match="client must be one of"):
        sizes_for(True, {"client": "curl"})


def test_cpu_shares_are_percent_of_one_core_over_the_interval():
    before = {"server": 10.0, "clients": 3.0, "publisher": 1.0, "wall": 100.0}
    after = {"server": 13.0, "clients": 4.5, "publisher": 1.25, "wall": 104.0}
    shares = cpu_shares(before, after)
    assert shares["server_cpu_s"] == 3.0 and shares["server_cpu_pct"] == 75.0  # 3 s of CPU in 4 s
    assert shares["clients_cpu_pct"] == 37.5 and shares["publisher_cpu_pct"] == 6.2  # 6.25, rounded


def test_server_cost_is_the_best_complete_steps():
    lossy = {
        "delivered_per_s": 9e4,
        "missing": 1,
        "dropped": 0,
        "extra": 0,
        "conflated": 0,
        "server_cpu_us_per_msg": 5.0,
    }
    best = {
        "delivered_per_s": 5e4,
        "missing": 0,
        "dropped": 0,
        "extra": 0,
        "conflated": 0,
        "server_cpu_us_per_msg": 20.0,
    }
    low = {
        "delivered_per_s": 1e4,
        "missing": 0,
        "dropped": 0,
        "extra": 0,
        "conflated": 0,
        "server_cpu_us_per_msg": 40.0,
    }
    assert server_cost([low, best, lossy]) == 20.0
    assert server_cost([lossy]) is None


def test_the_rate_kept_up_with_is_the_best_complete_step_under_the_p99_bound():
    def step(rate, p99, missing=0):
        return {
            "delivered_per_s": rate,
            "p99_ms": p99,
            "missing": missing,
            "dropped": 0,
            "extra": 0,
            "conflated": 0,
        }

    steps = [step(10_000, 12.0), step(25_000, 24.9), step(50_000, 40.0), step(75_000, 5.0, missing=1)]
    assert best_within_p99(steps) == 25_000
    assert best_within_p99(steps, p99_ms=50.0) == 50_000
    assert best_within_p99([step(10_000, 25.0)]) == 0.0  # under, not at
