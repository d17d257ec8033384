"""Prometheus series of the WebSocket feeds. In multiprocess mode (PROMETHEUS_MULTIPROC_DIR) every
server process writes its own and /metrics sums them: the process-wide view across workers."""

from prometheus_client import Counter, Gauge, Histogram

CONNECTIONS = Gauge(
    "nautilus_ws_connections", "Open WebSocket connections", ["feed"], multiprocess_mode="livesum"
)
MESSAGES_IN = Counter("nautilus_ws_messages_in", "Control frames received from WebSocket clients")
MESSAGES_OUT = Counter("nautilus_ws_messages_out", "Event frames sent to WebSocket clients")
DROPPED = Counter("nautilus_ws_dropped", "Events dropped from a full per-connection queue")
CONFLATED = Counter("nautilus_ws_conflated", "Market-data updates folded into a later one for a slow client")
CLOSED = Counter("nautilus_ws_closed", "Connections the server closed, by close code", ["code"])
LATENCY = Histogram(
    "nautilus_ws_delivery_seconds",
    "From publish to the frame handed to the server for sending",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def latency_bounds() -> tuple[float, ...]:
    """LATENCY's bucket upper bounds, +Inf last: index i counts the observations bisect_left puts there."""
    return tuple(LATENCY._upper_bounds)


def add_latencies(counts: list[int], total_s: float) -> None:
    """Add to LATENCY what observe() would, for counts[i] observations in bucket i summing total_s.
    Delivery tallies per message in plain ints and adds them here once per flush: observe() costs
    ~1 us a message (a Python loop over the buckets and a lock), a per-connection cost at fan-out.
    Uses the histogram's own value slots, as observe() does (tests compare the two)."""
    LATENCY._sum.inc(total_s)
    for bucket, n in zip(LATENCY._buckets, counts, strict=True):
        if n:
            bucket.inc(n)
