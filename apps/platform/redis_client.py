"""A Redis client for the platform's own probes (queue depths, last-task records).

Timeouts are short on purpose: health and metrics must answer within a couple of seconds when
Redis is down, and a task's bookkeeping must never hang the task.
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

PROBE_TIMEOUT_SECONDS = 0.5


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
        # No retries: one bounded attempt, so a dead or unreachable Redis costs at most the timeout.
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


def broker_redis() -> redis.Redis:
    """The Redis the Celery broker uses: queue lists live there."""
    return _client(settings.CELERY_BROKER_URL)


def platform_redis() -> redis.Redis:
    """The Redis of the platform's own state (REDIS_URL: cache, bus): the same short timeouts, so a
    caller that can do without it (a cache check) learns within PROBE_TIMEOUT_SECONDS that it must."""
    return _client(settings.REDIS_URL)
