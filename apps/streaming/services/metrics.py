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
