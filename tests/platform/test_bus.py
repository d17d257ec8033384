"""The event bus against the real Redis at REDIS_URL. Each test gets its own key prefix."""

from __future__ import annotations

import base64
import json
import logging
import socket
import uuid

import pytest
import redis
from django.conf import settings
from prometheus_client import REGISTRY, generate_latest

from apps.platform import bus
from apps.platform.bus import connection

SPEC_FAMILIES = {
    "trading.orders.O1": "critical",
    "trading.executions.E1": "critical",
    "trading.positions.P1": "critical",
    "market.data.quotes.AAPL": "high",
    "market.data.bars.AAPL": "high",
    "market.data.level2.AAPL": "high",
    "risk.alerts.p1": "critical",
    "risk.limits.p1": "critical",
    "risk.breaches.p1": "critical",
    "analytics.performance.p1": "high",
    "analytics.attribution.p1": "high",
    "analytics.reports.p1": "high",
    "system.health.platform": "low",
    "system.metrics.queues": "low",
    "system.alerts.disk": "low",
    "system.jobs.42": "low",
}


@pytest.fixture
def r():
    return redis.Redis.from_url(settings.REDIS_URL)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels or None) or 0.0


@pytest.mark.parametrize(
    "pattern,topic,expected",
    [
        ("market.data.bars.*", "market.data.bars.AAPL", True),
        ("market.data.bars.*", "market.data.bars", False),  # * is exactly one segment
        ("market.data.bars.*", "market.data.bars.AAPL.1m", False),
        ("market.data.#", "market.data.bars.AAPL.1m", True),  # # is the rest
        ("market.data.#", "market.data", True),  # ... including nothing
        ("market.data.#", "market.database", False),
        ("market.*.bars.*", "market.data.bars.X", True),
        ("*.data.bars.X", "market.data.bars.X", True),
        ("*", "system", True),
        ("*", "system.health", False),
        ("#", "anything.at.all", True),
        ("risk.alerts.p1", "risk.alerts.p1", True),
        ("risk.alerts.p1", "risk.alerts.p2", False),
        ("risk.alerts", "risk.alerts.p1", False),
        ("trading.*.AAPL", "trading.orders.AAPL", True),
        ("trading.*.AAPL", "trading.orders.MSFT", False),
    ],
)
def test_topic_matches(pattern, topic, expected):
    assert bus.topic_matches(pattern, topic) is expected


@pytest.mark.parametrize("pattern", ["", "a..b", "a.#.b", "a.b*", "a.#x", ".a", "a b"])
def test_invalid_patterns_are_rejected(pattern):
    with pytest.raises(ValueError):
        bus.validate_pattern(pattern)


@pytest.mark.parametrize("topic", ["", "a..b", "a.*", "a.#", ".a", "a.", "a b", 42])
def test_publish_rejects_bad_topics(fresh_bus, topic):
    with pytest.raises(ValueError):
        bus.publish(topic, {})


@pytest.mark.parametrize("payload", [{"x": object()}, {"x": float("nan")}, ["not", "a", "dict"]])
def test_publish_rejects_bad_payloads(fresh_bus, payload):
    with pytest.raises(ValueError):
        bus.publish("system.jobs.1", payload)


@pytest.mark.parametrize("topic,priority", sorted(SPEC_FAMILIES.items()))
def test_family_priorities(topic, priority):
    assert bus.topic_priority(topic) == priority


def test_unknown_family_is_normal_and_explicit_priority_wins(fresh_bus):
    assert bus.topic_priority("custom.thing.x") == "normal"
    assert bus.topic_priority("trading") == "normal"
    eid = bus.publish("system.jobs.7", {"n": 1}, priority="critical")
    (ev,) = bus.subscribe("system.jobs.*", last_id="0", follow=False)
    assert (ev.id, ev.priority) == (eid, "critical")
    with pytest.raises(ValueError):
        bus.publish("system.jobs.7", {}, priority="urgent")


def test_publish_subscribe_round_trip(fresh_bus):
    before = metric("nautilus_bus_published_total", family="market.data.bars", priority="high")
    eid = bus.publish("market.data.bars.AAPL", {"close": 150.25, "volume": 1000})
    assert isinstance(eid, str) and "-" in eid
    events = list(bus.subscribe("market.data.bars.*", last_id="0", follow=False))
    assert [(e.id, e.topic, e.priority, e.payload) for e in events] == [
        (eid, "market.data.bars.AAPL", "high", {"close": 150.25, "volume": 1000})
    ]
    assert json.loads(json.dumps(events[0].as_dict()))["id"] == eid
    assert metric("nautilus_bus_published_total", family="market.data.bars", priority="high") == before + 1
    assert bus.status()["published"] == 1 and bus.status()["connected"] is True


def test_follow_from_now_sees_only_later_events(fresh_bus):
    bus.publish("risk.alerts.p1", {"n": 0})
    live = bus.subscribe("risk.alerts.*", block_ms=200)  # "$": from this call on
    eid = bus.publish("risk.alerts.p1", {"n": 1})
    ev = next(live)
    assert (ev.id, ev.payload) == (eid, {"n": 1})
    live.close()


def test_pattern_subscription_spans_families_in_publish_order(fresh_bus):
    topics = ["market.data.bars.A", "risk.alerts.p", "custom.x.y", "market.data.quotes.A", "system.jobs.1"]
    ids = [bus.publish(t, {"i": i}) for i, t in enumerate(topics * 3)]
    got = list(bus.subscribe("#", last_id="0", follow=False, count=2))  # small batches: merge must hold order
    assert [e.id for e in got] == ids
    only_market = list(bus.subscribe("market.#", last_id="0", follow=False))
    assert [e.topic for e in only_market] == [t for t in topics * 3 if t.startswith("market.")]


def test_resume_from_id_returns_exactly_the_later_events(fresh_bus):
    ids = [bus.publish(f"trading.orders.O{i % 3}", {"i": i}) for i in range(10)]
    bus.publish("trading.executions.E1", {"other": True})  # another family: not in the pattern
    resumed = list(bus.subscribe("trading.orders.*", last_id=ids[4], follow=False))
    assert [e.id for e in resumed] == ids[5:]
    assert [e.payload["i"] for e in resumed] == list(range(5, 10))


def test_stream_length_is_bounded(fresh_bus, r):
    bus.configure(maxlen=10)
    for i in range(1000):
        bus.publish("system.metrics.q", {"i": i})
    length = r.xlen(connection.config().stream_key("system.metrics"))
    # MAXLEN ~ trims whole radix-tree nodes (100 entries by default), never below the cap.
    assert 10 <= length < 250
    newest = list(bus.subscribe("system.metrics.*", last_id="0", follow=False))
    assert newest[-1].payload == {"i": 999}


def test_redis_down_buffers_then_flushes_in_order(fresh_bus, caplog):
    buffered_before = metric("nautilus_bus_buffered_total")
    bus.configure(url=closed_port_url())
    with caplog.at_level(logging.WARNING, logger="apps.platform.bus"):
        results = [bus.publish("analytics.reports.r", {"i": i}) for i in range(3)]
    assert results == [None, None, None]
    st = bus.status()
    assert st["connected"] is False and st["buffered"] == 3 and st["published"] == 0
    assert "Connection" in st["last_error"]
    assert metric("nautilus_bus_buffered_total") == buffered_before + 3
    assert len([r for r in caplog.records if "buffering" in r.message]) == 1  # rate-limited

    bus.configure(url=settings.REDIS_URL)  # Redis is back
    eid = bus.publish("analytics.reports.r", {"i": 3})
    assert eid is not None
    events = list(bus.subscribe("analytics.#", last_id="0", follow=False))
    assert [e.payload["i"] for e in events] == [0, 1, 2, 3]
    assert events[-1].id == eid
    st = bus.status()
    assert st["connected"] is True and st["buffered"] == 0 and st["published"] == 4


def test_buffer_overflow_drops_oldest_and_counts(fresh_bus, caplog):
    dropped_before = metric("nautilus_bus_dropped_total")
    bus.configure(url=closed_port_url(), buffer_size=3)
    with caplog.at_level(logging.ERROR, logger="apps.platform.bus"):
        for i in range(5):
            assert bus.publish("system.alerts.disk", {"i": i}) is None
    assert bus.status()["dropped"] == 2 and bus.status()["buffered"] == 3
    assert metric("nautilus_bus_dropped_total") == dropped_before + 2
    assert any(r.levelno == logging.ERROR and "dropped" in r.message for r in caplog.records)

    assert bus.flush() == 0  # still down: nothing sent, nothing lost
    bus.configure(url=settings.REDIS_URL)
    assert bus.flush() == 3
    events = list(bus.subscribe("system.alerts.*", last_id="0", follow=False))
    assert [e.payload["i"] for e in events] == [2, 3, 4]


def test_status_reports_a_dead_redis_before_any_publish(fresh_bus):
    bus.configure(url=closed_port_url())
    st = bus.status()
    assert st["connected"] is False and st["buffered"] == 0
    assert st["stream_prefix"] == fresh_bus


def _messages(r, key: str) -> list[dict]:
    return [json.loads(raw) for raw in r.lrange(key, 0, -1)]


@pytest.fixture
def routes():
    made = []

    def add(pattern, task):
        made.append(bus.subscriber(pattern, task))
        return made[-1]

    yield add
    for route in made:
        bus.remove_subscriber(route)


def test_fanout_sends_to_the_engine_queue_with_the_topic_priority(fresh_bus, routes):
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    routes("trading.executions.*", "apps.risk.tasks.check_on_execution")
    routes("system.jobs.#", "apps.analytics.tasks.on_job")
    routes("market.data.bars.*", "apps.features.tasks.on_bar")  # must not fire for the topics below
    fanout_before = metric("nautilus_bus_fanout_total", queue="risk")
    # kombu's Redis transport keeps one list per priority step: "risk" for 0, "analytics:9" for 9.
    critical, low = "risk", "analytics:9"

    marker = uuid.uuid4().hex
    exec_id = bus.publish("trading.executions.AAPL", {"marker": marker})
    job_id = bus.publish("system.jobs.1.done", {"marker": marker})
    try:
        on_risk = [m for m in _messages(broker, critical) if marker.encode() in base64.b64decode(m["body"])]
        job_msgs = [m for m in _messages(broker, low) if marker.encode() in base64.b64decode(m["body"])]
        # The risk engine's own subscription (its event-driven check) fans out to the same queue.
        risk_msgs = [m for m in on_risk if m["headers"]["task"] == "apps.risk.tasks.check_on_execution"]
        assert len(risk_msgs) == 1 and len(job_msgs) == 1
        (m,) = risk_msgs
        assert m["headers"]["task"] == "apps.risk.tasks.check_on_execution"
        assert m["properties"]["priority"] == 0
        args, kwargs, _ = json.loads(base64.b64decode(m["body"]))
        assert args[0]["id"] == exec_id and args[0]["topic"] == "trading.executions.AAPL"
        assert args[0]["payload"] == {"marker": marker} and args[0]["priority"] == "critical"
        assert json.loads(base64.b64decode(job_msgs[0]["body"]))[0][0]["id"] == job_id
        assert job_msgs[0]["properties"]["priority"] == 9
        assert metric("nautilus_bus_fanout_total", queue="risk") == fanout_before + len(on_risk)
        assert not any(marker.encode() in raw for raw in broker.lrange("features", 0, -1))
    finally:
        for key in (critical, low):
            for raw in broker.lrange(key, 0, -1):
                if marker.encode() in base64.b64decode(json.loads(raw)["body"]):
                    broker.lrem(key, 1, raw)


def test_metric_names_are_exported_exactly():
    text = generate_latest(REGISTRY).decode()
    for name in (
        "nautilus_bus_published_total",
        "nautilus_bus_consumed_total",
        "nautilus_bus_buffered_total",
        "nautilus_bus_dropped_total",
        "nautilus_bus_fanout_total",
    ):
        assert f"# TYPE {name} counter" in text
    # Unlabelled counters are exported from the start, under exactly these sample names.
    samples = {line.split(" ")[0] for line in text.splitlines() if line.startswith("nautilus_bus_")}
    assert {"nautilus_bus_buffered_total", "nautilus_bus_dropped_total"} <= samples


def test_wildcard_subscriber_catches_up_on_streams_created_after_it_started(fresh_bus, monkeypatch):
    from apps.platform.bus import reader

    monkeypatch.setattr(reader, "REFRESH_SECONDS", 0)
    live = bus.subscribe("#", block_ms=100)
    a = bus.publish("risk.alerts.a", {})
    assert next(live).id == a
    # The cursor now moves past B (in a stream it has not discovered yet) by reading C ...
    monkeypatch.setattr(reader, "REFRESH_SECONDS", 1e9)
    b = bus.publish("brand.new.x", {"late": True})
    c = bus.publish("risk.alerts.c", {})
    assert next(live).id == c
    # ... and the next look for new streams reads B from the snapshot before it: nothing is lost.
    monkeypatch.setattr(reader, "REFRESH_SECONDS", 0)
    ev = next(live)
    assert (ev.id, ev.topic, ev.payload) == (b, "brand.new.x", {"late": True})
    live.close()


def test_publish_many_writes_in_order_in_one_round_trip_per_chunk(fresh_bus, monkeypatch):
    from apps.platform.bus import publisher

    monkeypatch.setattr(publisher, "PIPELINE_EVENTS", 4)
    executed = []
    real = redis.client.Pipeline.execute

    def counted(self, *a, **kw):
        executed.append(len(self.command_stack))
        return real(self, *a, **kw)

    monkeypatch.setattr(redis.client.Pipeline, "execute", counted)
    topics = ["risk.breaches.p1", "risk.breaches.p2", "market.data.bars.A"] * 3  # 9 events, two families
    ids = bus.publish_many([(t, {"i": i}) for i, t in enumerate(topics)])
    assert executed == [4, 4, 1]  # three round trips of up to 4 events, not nine
    got = list(bus.subscribe("#", last_id="0", follow=False))
    assert [e.id for e in got] == ids and [e.payload["i"] for e in got] == list(range(9))
    assert [e.topic for e in got] == topics and got[0].priority == "critical"
    assert bus.status()["published"] == 9
    assert bus.publish_many([]) == []


def test_publish_many_validates_every_event_before_sending_any(fresh_bus):
    with pytest.raises(ValueError):
        bus.publish_many([("risk.breaches.p1", {"i": 0}), ("not a topic", {"i": 1})])
    assert list(bus.subscribe("#", last_id="0", follow=False)) == []


def test_publish_many_with_redis_down_buffers_in_order_then_flushes(fresh_bus):
    bus.configure(url=closed_port_url())
    assert bus.publish_many([("analytics.reports.r", {"i": i}) for i in range(3)]) == [None] * 3
    assert bus.status()["buffered"] == 3
    # Backing off: the next ones queue behind the buffer, one at a time, in order.
    assert bus.publish_many([("analytics.reports.r", {"i": 3})]) == [None]
    bus.configure(url=settings.REDIS_URL)
    assert bus.flush() == 4
    ids = bus.publish_many([("analytics.reports.r", {"i": 4})])
    events = list(bus.subscribe("analytics.#", last_id="0", follow=False))
    assert [e.payload["i"] for e in events] == [0, 1, 2, 3, 4] and events[-1].id == ids[0]
