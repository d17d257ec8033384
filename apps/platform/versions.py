"""Version tokens in Redis: what lets a process keep a database read until someone changes the rows.

A writer replaces a named token with a fresh random one after its transaction commits
(`version_bump_on_commit`, called from a model signal or a service); a reader fetches the tokens its
read depends on in one MGET (`versions_read`) and reuses what it kept only under the same tokens.
Random tokens rather than a counter (as the auth epoch has): a Redis that lost its keys (a restart
without persistence, a flush) hands out new tokens, never an old value that a stale entry was kept
under.

The bump happens after the commit, so a reader that fetched the old token and then read the old
rows keeps them under the old token, and the next reader sees the new one. Inside a transaction a
reader must not use or fill a shared cache at all (it may see its own uncommitted rows); see
`cache_allowed`.

What the tokens do not see: a change that bypasses the writer's hooks (a queryset `update()`, raw
SQL), or a bump that could not reach Redis (logged). A reader therefore also bounds how long it
keeps an entry. When Redis cannot be read, `versions_read` answers None and the reader goes to the
database.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterable, Sequence

import redis
from django.db import DEFAULT_DB_ALIAS, transaction

from .redis_client import platform_redis

log = logging.getLogger(__name__)

PREFIX = "nautilus:version:"

# Names waiting for their transaction's commit, per thread and database alias: many bumps in one
# transaction (a rebuild saving 500 positions) go out as one MSET.
_pending = threading.local()


def _fresh() -> str:
    return secrets.token_hex(8)


def versions_read(names: Sequence[str]) -> tuple[bytes, ...] | None:
    """The current tokens of `names` (one round trip; a name never bumped gets a token now), or
    None when Redis cannot be read."""
    keys = [PREFIX + n for n in names]
    try:
        client = platform_redis()
        values = client.mget(keys)
        if any(v is None for v in values):
            # NX: when two readers create the same token at once, both end up with the winner's.
            pipe = client.pipeline(transaction=False)
            for key, value in zip(keys, values, strict=True):
                if value is None:
                    pipe.set(key, _fresh(), nx=True)
            pipe.mget(keys)
            values = pipe.execute()[-1]
    except redis.RedisError as exc:
        log.warning("version tokens: Redis unreachable (%s); reading from the database", exc)
        return None
    return tuple(values)


def versions_bump(names: Iterable[str]) -> None:
    """Replace the tokens of `names` now (a failure is logged: readers' maximum age covers it)."""
    names = sorted(set(names))
    if not names:
        return
    try:
        platform_redis().mset({PREFIX + n: _fresh() for n in names})
    except redis.RedisError as exc:
        log.warning("version tokens: could not bump %s (%s)", ", ".join(names), exc)


def _pending_names(using: str) -> set[str]:
    by_alias = getattr(_pending, "by_alias", None)
    if by_alias is None:
        by_alias = _pending.by_alias = {}
    return by_alias.setdefault(using, set())


def version_bump_on_commit(name: str, *, using: str | None = None) -> None:
    """Replace the token `name` once the current transaction commits (at once outside one).

    Every call registers a callback, and the first to run sends every pending name: a callback
    list that a rollback discards cannot leave a name stranded (it goes out with the next commit,
    a harmless extra bump)."""
    using = using or DEFAULT_DB_ALIAS
    _pending_names(using).add(name)

    def flush() -> None:
        names = _pending_names(using)
        if names:
            out = list(names)
            names.clear()
            versions_bump(out)

    transaction.on_commit(flush, using=using)


def cache_allowed(using: str | None = None) -> bool:
    """Whether a shared cache of database reads may be used now: not inside a transaction, where
    reads may include the transaction's own uncommitted rows (and a test's, which never commit)."""
    return not transaction.get_connection(using or DEFAULT_DB_ALIAS).in_atomic_block
