"""Token authentication with a per-process cache that a change to any token or user invalidates at once.

DRF's TokenAuthentication reads the token and its user from the database on every request: one
query, but through the ORM ~1.3 ms of a request on this machine, a quarter of the online feature
read's budget (p99 < 5 ms). Tokens and users change rarely, so a web process keeps what it read,
under one rule: the cache is only as good as the *auth epoch*, a counter in Redis that every save or
delete of a token or a user bumps after its transaction commits (`auth_epoch_bump`, connected in
apps.py). A request reads the epoch (one GET) and uses a cached entry only when it was made under the
same epoch; so a deleted token or a deactivated user stops authenticating on the next request in
every process, as it does without the cache.

Changes that bypass model signals (a queryset `update()`, raw SQL) are not seen by the epoch; they
take effect within AUTH_CACHE_MAX_AGE_S (no entry is used longer). When Redis cannot be read, every
request goes to the database, as DRF does.

Each request gets its own shallow copy of the cached user, so attributes a request sets on it
(permission caches) stay with that request.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import transaction
from rest_framework.authentication import TokenAuthentication

from .redis_client import platform_redis

log = logging.getLogger(__name__)

EPOCH_KEY = "nautilus:auth:epoch"
_MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class _Entry:
    epoch: bytes
    read_at: float  # time.monotonic()
    user: object
    token: object


_lock = threading.Lock()
_entries: dict[str, _Entry] = {}


def auth_cache_clear() -> None:
    """Forget every cached token (tests)."""
    with _lock:
        _entries.clear()


def _epoch() -> bytes | None:
    """The current auth epoch (b"0" before the first bump), or None when Redis cannot be read."""
    try:
        return platform_redis().get(EPOCH_KEY) or b"0"
    except redis.RedisError as exc:
        log.warning("auth cache: Redis unreachable (%s); reading tokens from the database", exc)
        return None


def auth_epoch_bump(**_signal_kwargs) -> None:
    """Signal receiver: after the current transaction commits, move the epoch (every process's cached
    tokens stop counting). A bump that cannot reach Redis is covered by AUTH_CACHE_MAX_AGE_S."""

    def bump() -> None:
        try:
            platform_redis().incr(EPOCH_KEY)
        except redis.RedisError as exc:
            log.warning("auth cache: could not move the epoch (%s)", exc)

    transaction.on_commit(bump)


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's TokenAuthentication (same header, same answers), cached per process (see the module)."""

    def authenticate_credentials(self, key):
        epoch = _epoch()
        if epoch is not None:
            entry = _entries.get(key)
            if (
                entry is not None
                and entry.epoch == epoch
                and time.monotonic() - entry.read_at < settings.AUTH_CACHE_MAX_AGE_S
            ):
                return copy.copy(entry.user), entry.token
        read_at = time.monotonic()
        user, token = super().authenticate_credentials(key)  # raises for a bad or inactive token
        if epoch is not None:
            with _lock:
                if len(_entries) >= _MAX_ENTRIES:
                    _entries.clear()  # tokens in use by one process fit many times over; a flood does not
                _entries[key] = _Entry(epoch=epoch, read_at=read_at, user=user, token=token)
        return copy.copy(user), token
