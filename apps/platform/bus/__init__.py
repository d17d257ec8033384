"""The event bus: domain events on Redis Streams, with topics, priorities and durable ids.

    from apps.platform import bus
    event_id = bus.publish("trading.executions.AAPL", {"qty": 100})   # None if Redis is down
    ids = bus.publish_many([(topic, payload), ...])   # the same, one round trip per 1,000 events
    for ev in bus.subscribe("trading.executions.*", last_id=event_id): ...
    bus.subscriber("trading.executions.*", "apps.analytics.tasks.pnl_on_event")  # Celery fan-out
    bus.status()  # for /health

Layout: topics.py (names, patterns, priorities), publisher.py (publish, outage buffer, status),
reader.py (subscribe), relay.py (one async reader per process for WebSockets), fanout.py (Celery
subscriptions), metrics.py (Prometheus), connection.py (where Redis is), config.py (configure()
for tests and tools, reset()).
"""

from __future__ import annotations

from .config import configure, reset
from .events import Event
from .fanout import Route, remove_subscriber, subscriber, subscribers
from .publisher import flush, publish, publish_many, status
from .reader import subscribe
from .relay import relay
from .topics import FAMILY_PRIORITY, topic_family, topic_matches, topic_priority, validate_pattern

__all__ = [
    "FAMILY_PRIORITY",
    "Event",
    "Route",
    "configure",
    "flush",
    "publish",
    "publish_many",
    "relay",
    "remove_subscriber",
    "reset",
    "status",
    "subscribe",
    "subscriber",
    "subscribers",
    "topic_family",
    "topic_matches",
    "topic_priority",
    "validate_pattern",
]
