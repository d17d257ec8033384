"""The online read's process cache: each instrument's latest values of a definition list, kept in
the web process and re-read from the latest-value table only when they may have changed.

The table read (selectors/online.py) costs 2-7 ms for 100 instruments x 50 features on this machine,
more than the whole p99 budget of the API (5 ms). Between two bars nothing in it changes, so a
process may answer from memory, provided it learns of every change at once:

- Each instrument has a version in one Redis hash (VERSIONS_KEY). Every store write bumps the
  versions of the instruments it wrote after its transaction commits (services/latest.py).
- A read first fetches the versions of the instruments asked, in one HMGET, and then re-reads from
  the table only the instruments whose version differs from the cached one. The versions are read
  before the table, so a cached row is never labelled newer than it is; a write that commits
  between the two reads is re-read next time.
- The hash carries an `epoch` (a random id set by whoever finds it missing): if Redis lost the hash
  (a restart, a flush), counters start again but under a new epoch, so no old entry matches.
- It also counts every bump (`writes`, incremented after the instruments' versions, in the same
  pipeline). An answer remembers the count it was checked under; while the count has not moved, no
  version can have, and the answer is served after reading two fields instead of one version per
  instrument (a hundred fields to encode and parse: a tenth of the API's request).
- A version bump that could not reach Redis (it was down when the write committed) is covered by
  FEATURES_ONLINE_CACHE_MAX_AGE_S: no entry is served older than that. When Redis cannot be read,
  the read goes to the table, uncached.

Entries are per definition list (a feature set asked again and again), least recently used first
out beyond FEATURES_ONLINE_CACHE_LISTS lists. A caller may also keep its own rendering of each row
(`render`: the API keeps each row's JSON, so an unchanged row is not formatted again).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import redis
from django.conf import settings

from apps.platform.redis_client import platform_redis

from ..models import FeatureDefinition
from .online import LatestValues, known_at_columns, latest_values

log = logging.getLogger(__name__)

VERSIONS_KEY = "nautilus:features:latest:versions"
EPOCH_FIELD = "epoch"
WRITES_FIELD = "writes"


@dataclass(frozen=True)
class _Row:
    """One instrument's latest values of one definition list, as read under (epoch, version)."""

    epoch: bytes
    version: int
    read_at: float  # time.monotonic()
    values: np.ndarray  # (definitions,) float64
    ts: np.ndarray  # (definitions,) datetime64[us]
    text: np.ndarray | None  # (definitions,) object: JSON number texts
    rendered: object = None  # what the caller's `render` made of this row


_lock = threading.Lock()
_lists: OrderedDict[tuple, dict[int, _Row]] = OrderedDict()


@dataclass(frozen=True)
class _Answer:
    """A list's last answer and the rows it was built from: asked again with every row unchanged (the
    same objects), it is the answer (its arrays are read-only, so no caller can change it for the
    next). `epoch`/`writes`: the hash's epoch and bump count when its rows were last checked."""

    symbols: tuple[str, ...]
    rows: tuple[_Row, ...]
    latest: LatestValues
    epoch: bytes
    writes: int
    read_at: float  # the oldest row's


_answers: dict[tuple, _Answer] = {}


def online_cache_clear() -> None:
    """Forget every cached row (tests)."""
    with _lock:
        _lists.clear()
        _answers.clear()


def versions_read(instrument_ids: Sequence[int]) -> tuple[bytes, int, list[int]] | None:
    """The hash's epoch, its bump count and each instrument's version (0: never written since the
    epoch began), or None when Redis cannot be reached. One command: the count is never newer than
    the versions read with it."""
    client = platform_redis()
    try:
        got = client.hmget(VERSIONS_KEY, [EPOCH_FIELD, WRITES_FIELD, *instrument_ids])
        epoch = got[0]
        if epoch is None:  # a new hash: start an epoch (the first of racing readers wins)
            client.hsetnx(VERSIONS_KEY, EPOCH_FIELD, uuid.uuid4().hex)
            epoch = client.hget(VERSIONS_KEY, EPOCH_FIELD)
            got = [epoch] + [None] * (len(instrument_ids) + 1)  # an older hash's counts mean nothing now
    except redis.RedisError as exc:
        log.warning("online cache: Redis unreachable (%s); reading the table", exc)
        return None
    return epoch, int(got[1] or 0), [int(v) if v is not None else 0 for v in got[2:]]


def _writes_read() -> tuple[bytes | None, int] | None:
    """The hash's epoch and bump count (two fields), or None when Redis cannot be reached."""
    try:
        epoch, writes = platform_redis().hmget(VERSIONS_KEY, [EPOCH_FIELD, WRITES_FIELD])
    except redis.RedisError:
        return None  # versions_read, next, says so and reads the table
    return epoch, int(writes or 0)


def versions_bump(instrument_ids: Sequence[int]) -> None:
    """Mark `instrument_ids`' latest values as changed (after the write commits). Never raises: a
    bump lost to a Redis outage is covered by the cache's maximum age."""
    if not instrument_ids:
        return
    try:
        pipe = platform_redis().pipeline(transaction=False)
        pipe.hsetnx(VERSIONS_KEY, EPOCH_FIELD, uuid.uuid4().hex)
        for pk in instrument_ids:
            pipe.hincrby(VERSIONS_KEY, str(pk), 1)
        pipe.hincrby(VERSIONS_KEY, WRITES_FIELD, 1)  # after the versions: see the module's docstring
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("online cache: could not bump %d versions (%s)", len(instrument_ids), exc)


def _rows_of(
    read: LatestValues, i: int, epoch: bytes, version: int, now: float, rendered: Sequence | None
) -> _Row:
    return _Row(
        epoch=epoch,
        version=version,
        read_at=now,
        values=read.values[i],
        ts=read.ts[i],
        text=read.value_text[i] if read.value_text is not None else None,
        rendered=rendered[i] if rendered is not None else None,
    )


def _rendered(read: LatestValues, render: Callable[[LatestValues], Sequence] | None) -> LatestValues:
    if render is None:
        return read
    return dataclasses.replace(read, rendered=tuple(render(read)))


def _answer_unmoved(key: tuple, symbols: tuple[str, ...], number_text: bool, oldest: float):
    """The list's last answer when it was for `symbols` and no bump has happened since its rows were
    checked (epoch and count unchanged), none of its rows being older than `oldest`; else None."""
    last = _answers.get(key)
    if (
        last is None
        or last.symbols != symbols
        or last.read_at < oldest
        or (number_text and last.latest.value_text is None)
    ):
        return None
    counts = _writes_read()
    return last.latest if counts == (last.epoch, last.writes) else None


def latest_values_cached(
    *,
    definitions: Sequence[FeatureDefinition],
    instruments: Mapping[str, int],
    number_text: bool = False,
    render: Callable[[LatestValues], Sequence] | None = None,
) -> LatestValues:
    """`latest_values` answered from the process cache where nothing changed since it was read (see
    the module's docstring); the same answer, value for value. `render(read)`, given, returns one
    object per row of a fresh read; it is kept with the row and the answer's `rendered` holds each
    row's. Entries are kept per (definition list, renderer)."""
    definitions = list({d.pk: d for d in definitions}.values())
    ids = list(instruments.values())
    symbols = tuple(instruments)
    key = (tuple(d.pk for d in definitions), getattr(render, "__qualname__", None))
    now = time.monotonic()
    oldest = now - settings.FEATURES_ONLINE_CACHE_MAX_AGE_S
    if ids and definitions:
        unmoved = _answer_unmoved(key, symbols, number_text, oldest)
        if unmoved is not None:
            return unmoved
    versions = versions_read(ids) if ids and definitions else None
    if versions is None:
        read = latest_values(definitions=definitions, instruments=instruments, number_text=number_text)
        return _rendered(read, render)
    epoch, writes, numbers = versions
    with _lock:
        cached = _lists.get(key)
        if cached is None:
            cached = _lists[key] = {}
            while len(_lists) > settings.FEATURES_ONLINE_CACHE_LISTS:
                _answers.pop(_lists.popitem(last=False)[0], None)
        else:
            _lists.move_to_end(key)
        rows = [cached.get(pk) for pk in ids]
    stale = {
        symbol: pk
        for (symbol, pk), row, version in zip(instruments.items(), rows, numbers, strict=True)
        if row is None
        or row.epoch != epoch
        or row.version != version
        or row.read_at < oldest
        or (number_text and row.text is None)
    }
    if stale:
        read = latest_values(definitions=definitions, instruments=stale, number_text=number_text)
        made = render(read) if render is not None else None
        version_of = dict(zip(ids, numbers, strict=True))
        fresh = {
            pk: _rows_of(read, i, epoch, version_of[pk], now, made) for i, pk in enumerate(stale.values())
        }
        with _lock:
            cached.update(fresh)
        rows = [fresh.get(pk, row) for pk, row in zip(ids, rows, strict=True)]
    last = _answers.get(key)
    if (
        last is not None
        and last.symbols == symbols
        and len(last.rows) == len(rows)
        and all(a is b for a, b in zip(last.rows, rows, strict=True))
    ):
        answer = last.latest
    else:
        answer = _answer_of(symbols, definitions, rows, number_text, render is not None)
    with _lock:
        if key in _lists:
            _answers[key] = _Answer(
                symbols, tuple(rows), answer, epoch, writes, min(row.read_at for row in rows)
            )
    return answer


def _answer_of(
    symbols: tuple[str, ...],
    definitions: Sequence[FeatureDefinition],
    rows: Sequence[_Row],
    number_text: bool,
    rendered: bool,
) -> LatestValues:
    ts = np.stack([row.ts for row in rows])
    answer = LatestValues(
        symbols=symbols,
        features=tuple(d.label for d in definitions),
        values=np.stack([row.values for row in rows]),
        ts=ts,
        known_at=known_at_columns(ts, definitions),
        value_text=np.stack([row.text for row in rows]) if number_text else None,
        rendered=tuple(row.rendered for row in rows) if rendered else None,
    )
    for array in (answer.values, answer.ts, answer.known_at, answer.value_text):
        if array is not None:
            array.flags.writeable = False
    return answer
