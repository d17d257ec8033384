"""Where the bus's Redis is, and one connection pool per process to reach it.

Settings are read lazily (REDIS_URL, BUS_STREAM_PREFIX, BUS_STREAM_MAXLEN, BUS_BUFFER_SIZE) so the
bus can be imported before Django is configured; configure() overrides them (tests point the bus
at a closed port this way instead of mocking Redis).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

# A dead Redis must cost a request well under a second, never redis-py's default retries.
CONNECT_TIMEOUT = 0.5
SOCKET_TIMEOUT = 1.0


@dataclass(frozen=True)
class BusConfig:
    url: str
    prefix: str
    maxlen: int
    buffer_size: int

    def stream_key(self, family: str) -> str:
        return f"{self.prefix}s:{family}"

    def family_of_key(self, key: str) -> str:
        return key[len(self.prefix) + 2 :]

    @property
    def seq_key(self) -> str:  # the last id handed out, across every stream of this bus
        return f"{self.prefix}seq"

    @property
    def streams_key(self) -> str:  # the set of stream keys ever written, for wildcard subscribers
        return f"{self.prefix}streams"


_lock = threading.RLock()  # client() calls config() while holding it
_config: BusConfig | None = None
_client: redis.Redis | None = None


def _from_settings() -> BusConfig:
    from django.conf import settings

    return BusConfig(
        url=settings.REDIS_URL,
        prefix=settings.BUS_STREAM_PREFIX,
        maxlen=settings.BUS_STREAM_MAXLEN,
        buffer_size=settings.BUS_BUFFER_SIZE,
    )


def config() -> BusConfig:
    global _config
    if _config is None:
        with _lock:
            if _config is None:
                _config = _from_settings()
    return _config


def set_config(**overrides) -> BusConfig:
    """Swap the target (url/prefix/maxlen/buffer_size); unspecified values keep their current value."""
    global _config, _client
    with _lock:
        base = _config or _from_settings()
        _config = replace(base, **{k: v for k, v in overrides.items() if v is not None})
        old, _client = _client, None
    if old is not None:
        old.close()
    return _config


def clear_config() -> None:
    global _config, _client
    with _lock:
        old, _config, _client = _client, None, None
    if old is not None:
        old.close()


def client() -> redis.Redis:
    """The process's publishing client. redis-py's pool re-creates connections after a fork."""
    global _client
    c = _client
    if c is None:
        with _lock:
            if _client is None:
                _client = make_client(config().url)
            c = _client
    return c


def make_client(url: str, *, socket_timeout: float | None = SOCKET_TIMEOUT) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=socket_timeout,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=30,
    )


def make_async_client(url: str, *, socket_timeout: float | None) -> redis.asyncio.Redis:
    return redis.asyncio.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=socket_timeout,
        retry=redis.asyncio.retry.Retry(NoBackoff(), 0),
        health_check_interval=30,
    )
