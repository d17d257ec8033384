"""WebSocket feed settings (apps/streaming, README "Streaming"), star-imported by base.py; each value
comes from the environment as in base.py."""

from __future__ import annotations

import environ

env = environ.Env()

# ws/stream: how often a connection reloads the portfolios its user may view (sharing, unsharing).
STREAM_VISIBILITY_REFRESH_SECONDS = env.float("STREAM_VISIBILITY_REFRESH_SECONDS", default=30.0)

# WebSocket connection limits (apps/streaming, README "Streaming"). The server pings every
# STREAM_HEARTBEAT_S and closes (4408) a client silent for STREAM_HEARTBEAT_TIMEOUT_S after a ping;
# no action and no event for STREAM_IDLE_TIMEOUT_S closes 4409, STREAM_MAX_LIFETIME_S 4410 (0: off).
STREAM_HEARTBEAT_S = env.float("STREAM_HEARTBEAT_S", default=20.0)
STREAM_HEARTBEAT_TIMEOUT_S = env.float("STREAM_HEARTBEAT_TIMEOUT_S", default=10.0)
STREAM_IDLE_TIMEOUT_S = env.float("STREAM_IDLE_TIMEOUT_S", default=3600.0)
STREAM_MAX_LIFETIME_S = env.float("STREAM_MAX_LIFETIME_S", default=86400.0)
# Outbound, per connection: a token bucket (messages/s and burst), a bounded queue, market data
# conflated to the latest per topic once STREAM_CONFLATE_AFTER messages wait, and a close (4429)
# when the backlog stays at least that deep for STREAM_SLOW_CLOSE_S.
STREAM_RATE_PER_S = env.float("STREAM_RATE_PER_S", default=1000.0)
STREAM_RATE_BURST = env.int("STREAM_RATE_BURST", default=2000)
STREAM_QUEUE_SIZE = env.int("STREAM_QUEUE_SIZE", default=2000)
STREAM_CONFLATE_AFTER = env.int("STREAM_CONFLATE_AFTER", default=200)
STREAM_SLOW_CLOSE_S = env.float("STREAM_SLOW_CLOSE_S", default=30.0)
# Client frames (control messages): STREAM_CONTROL_RATE_PER_S on average, bursts of
# STREAM_CONTROL_BURST; a client a whole burst beyond that is closed 1008 (policy violation).
STREAM_CONTROL_RATE_PER_S = env.float("STREAM_CONTROL_RATE_PER_S", default=20.0)
STREAM_CONTROL_BURST = env.int("STREAM_CONTROL_BURST", default=100)
# How often each server process writes its WebSocket connections and counters to Redis (TTL: 3x).
STREAM_REGISTRY_INTERVAL_S = env.float("STREAM_REGISTRY_INTERVAL_S", default=2.0)
