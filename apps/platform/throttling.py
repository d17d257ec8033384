"""The API's default throttles (anonymous per address, authenticated per user): DRF's rule, kept in
Redis with one round trip per request.

DRF's SimpleRateThrottle keeps each client's request times as a pickled list in the cache: a GET and
a SET per request, and the list grows to the rate's size (6,000 floats at 6000/min), unpickled and
pickled again on every request of a busy client. It was a fifth of a refused request's time through
the whole stack. Here the same sliding window lives in a Redis sorted set, trimmed, counted and
appended by one script on the Redis server (its clock, so several web hosts agree):

- a request is allowed when fewer than `num_requests` requests were allowed in the last `duration`
  seconds (DRF's rule exactly: refused requests are not counted);
- a refused request's `wait()` is when the oldest counted request leaves the window (DRF's
  Retry-After is an estimate from the remaining budget; this one is exact).

When Redis cannot be reached the request is allowed and a warning logged (at most once a minute per
process): a rate limit that takes the API down with Redis would turn a cache outage into an outage.
"""

from __future__ import annotations

import logging
import time
import uuid

import redis
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from .redis_client import platform_redis

log = logging.getLogger(__name__)

KEY_PREFIX = "nautilus:throttle:"

# KEYS[1] the client's window; ARGV: limit, window (ms), a unique member for this request.
# Returns {1, 0} when allowed, {0, ms until the oldest counted request leaves the window} when not.
_SLIDING_WINDOW = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0}
"""

_scripts: dict[int, object] = {}
_last_warning = 0.0


def _script(client: redis.Redis):
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_SLIDING_WINDOW)
    return script


def _warn(exc: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 60:
        _last_warning = now
        log.warning("throttle: Redis unreachable (%s); requests are let through unthrottled", exc)


class RedisSlidingWindowMixin:
    """allow_request/wait of a SimpleRateThrottle, against the Redis sorted set of its cache key."""

    def allow_request(self: SimpleRateThrottle, request, view) -> bool:
        self._wait_s = None
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        client = platform_redis()
        try:
            allowed, wait_ms = _script(client)(
                keys=[KEY_PREFIX + self.key],
                args=[self.num_requests, int(self.duration * 1000), uuid.uuid4().hex],
                client=client,
            )
        except redis.RedisError as exc:
            _warn(exc)
            return True
        if allowed:
            return True
        self._wait_s = max(int(wait_ms), 0) / 1000.0
        return False

    def wait(self) -> float | None:
        return self._wait_s


class UserThrottle(RedisSlidingWindowMixin, UserRateThrottle):
    """Per authenticated user (anonymous clients: per address), rate "user"."""


class AnonThrottle(RedisSlidingWindowMixin, AnonRateThrottle):
    """Per address of anonymous clients, rate "anon"."""
