"""The worker registry as data: keyword-only rows, honest units, queues derived from keys, and
risk's fast lane on a queue of its own with time limits its pool enforces."""

from __future__ import annotations

import pytest

from workers.registry import ENGINES, KIB_PER_GIB, LANE_OF_TASK, PRIORITY, QUEUES, Engine, Lane, engine
from workers.routing import route_task


def test_rows_are_keyword_only():
    with pytest.raises(TypeError):
        Engine("x", "/api/x/", 1, 1, 10, 20)  # positional: which one is the memory?
    with pytest.raises(TypeError):
        Lane("fast", "q", ("t",), "prefork", 1, 1, 2)


def test_an_engines_queue_is_its_key_and_every_queue_is_declared_once():
    assert all(e.queue == e.key for e in ENGINES)
    lane_queues = [lane.queue for e in ENGINES for lane in e.lanes]
    assert sorted(QUEUES) == sorted([e.key for e in ENGINES] + lane_queues)
    assert len(set(QUEUES)) == len(QUEUES)


def test_queues_are_listed_most_urgent_engine_first():
    """A worker on several queues serves them in this order at equal message priority (kombu's
    'priority' queue order): risk's lane and queue first, every high engine before any normal one,
    and the registry's order among engines of one priority."""
    assert QUEUES[:2] == ("risk_fast", "risk")
    by_queue = {e.queue: e for e in ENGINES}
    ranks = [PRIORITY[by_queue[q].priority] for q in QUEUES if q in by_queue]
    assert ranks == sorted(ranks)
    high = [q for q in QUEUES if q in by_queue and by_queue[q].priority == "high"]
    assert high == [e.key for e in ENGINES if e.priority == "high"]


def test_memory_cap_is_in_kib_as_celery_reads_it():
    risk = engine("risk")
    assert KIB_PER_GIB == 1024 * 1024
    argv = risk.worker_argv()
    assert f"--max-memory-per-child={int(risk.memory_per_child_gib * 1024 * 1024)}" in argv


def test_risk_fast_lane_has_its_own_queue_a_prefork_pool_and_short_limits():
    risk = engine("risk")
    (fast,) = risk.lanes
    argv = risk.worker_argv(lane=fast)
    assert argv[argv.index("-Q") + 1] == fast.queue != risk.queue
    # Celery enforces soft and hard time limits only in the prefork pool (not threads or solo).
    assert argv[argv.index("-P") + 1] == "prefork"
    assert f"--soft-time-limit={fast.soft_time_limit_s}" in argv
    assert f"--time-limit={fast.time_limit_s}" in argv
    assert fast.soft_time_limit_s < fast.time_limit_s < risk.soft_time_limit_s


def test_only_the_lanes_tasks_are_routed_to_the_fast_lane():
    risk = engine("risk")
    (fast,) = risk.lanes
    assert LANE_OF_TASK["apps.risk.tasks.pre_trade_check"] == (risk, fast)
    assert route_task("apps.risk.tasks.pre_trade_check", (), {}, {})["queue"] == fast.queue
    for name in ("apps.risk.tasks.monitor_run", "apps.risk.tasks.monitor_on_event", "apps.risk.tasks.ping"):
        assert route_task(name, (), {}, {})["queue"] == risk.queue
