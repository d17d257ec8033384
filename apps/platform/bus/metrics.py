"""Prometheus counters for the bus. prometheus_client appends `_total` to a Counter's name, so the
exported series are exactly nautilus_bus_published_total, …_consumed_total, …_buffered_total,
…_dropped_total and …_fanout_total. Counters work in multiprocess mode (PROMETHEUS_MULTIPROC_DIR)."""

from prometheus_client import Counter

PUBLISHED = Counter("nautilus_bus_published", "Events written to a bus stream", ["family", "priority"])
CONSUMED = Counter("nautilus_bus_consumed", "Events delivered to a bus subscriber", ["family"])
BUFFERED = Counter("nautilus_bus_buffered", "Events buffered in memory because Redis was unreachable")
DROPPED = Counter("nautilus_bus_dropped", "Buffered events dropped because the buffer was full")
FANOUT = Counter("nautilus_bus_fanout", "Celery messages sent for bus subscriptions", ["queue"])
