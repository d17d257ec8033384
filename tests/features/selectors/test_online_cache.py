"""The online read's process cache (selectors/online_cache.py): it answers exactly what the table
holds, re-reads only the instruments whose version moved after a committed write, starts over when
Redis lost its versions, never serves a row older than its maximum age (a bump lost in an outage),
and reads the table when Redis cannot be reached."""

from __future__ import annotations

import numpy as np
import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.backoff import NoBackoff
from redis.retry import Retry

from apps.features.selectors import online_cache
from apps.features.selectors.online import latest_values
from apps.features.selectors.online_cache import VERSIONS_KEY, latest_values_cached, online_cache_clear
from apps.features.services.definitions import definition_save
from apps.features.services.store import InstrumentValues, store_extend, store_write
from apps.marketdata.services import instrument_create
from apps.platform.redis_client import platform_redis

pytestmark = pytest.mark.django_db

DAY = np.timedelta64(1, "D")
real_versions, real_table = online_cache.versions_read, online_cache.latest_values
FIRST = np.array(["2024-03-01"], "datetime64[ns]")


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.FEATURES_ONLINE_CACHE_MAX_AGE_S = 60.0
    online_cache_clear()
    yield
    online_cache_clear()


@pytest.fixture
def book(django_capture_on_commit_callbacks):
    """Two instruments, three definitions, one stored bar each (its on-commit bump run)."""
    defs = [definition_save(name=f"oc_{k}", function="SMA", params={"timeperiod": 2 + k}) for k in range(3)]
    ids = {"OCA": instrument_create(symbol="OCA").pk, "OCB": instrument_create(symbol="OCB").pk}
    with django_capture_on_commit_callbacks(execute=True):
        store_write(
            defs,
            {
                pk: InstrumentValues(ts=FIRST, values=np.full((1, 3), 10.0 * n))
                for n, pk in enumerate(ids.values())
            },
        )
    return defs, ids


def _new_bar(defs, ids, symbols, value, on_commit, *, bump=True):
    """A new bar for `symbols`, written like an incremental update; `bump=False` loses the version
    bump (its on-commit callbacks are dropped, as when Redis is down at that moment)."""
    from apps.features.models import FeatureColumns

    block = FeatureColumns.objects.get(definition_ids=[d.pk for d in defs])
    payload = {ids[s]: InstrumentValues(ts=FIRST + DAY, values=np.full((1, 3), value)) for s in symbols}
    with on_commit(execute=bump):
        store_extend(block, payload)


def _read(defs, ids):
    return latest_values_cached(definitions=defs, instruments=ids, number_text=True)


def _assert_same(got, expected):
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.ts, expected.ts)
    np.testing.assert_array_equal(got.known_at, expected.known_at)
    np.testing.assert_array_equal(got.value_text, expected.value_text)
    assert got.symbols == expected.symbols and got.features == expected.features


def test_a_cached_read_equals_the_table_and_a_second_read_makes_no_query(book):
    defs, ids = book
    first = _read(defs, ids)
    _assert_same(first, latest_values(definitions=defs, instruments=ids, number_text=True))
    with CaptureQueriesContext(connection) as queries:
        again = _read(defs, ids)
    assert len(queries) == 0
    _assert_same(again, first)
    assert again.values.tolist() == [[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]]


def test_a_committed_write_is_seen_at_once_and_only_its_instruments_are_read_again(
    book, django_capture_on_commit_callbacks, monkeypatch
):
    defs, ids = book
    _read(defs, ids)
    _new_bar(defs, ids, ["OCB"], 42.0, django_capture_on_commit_callbacks)
    asked = []

    def table_read(**kwargs):
        asked.append(dict(kwargs["instruments"]))
        return latest_values(**kwargs)

    monkeypatch.setattr(online_cache, "latest_values", table_read)
    got = _read(defs, ids)
    assert asked == [{"OCB": ids["OCB"]}]  # OCA's version did not move: served from the cache
    assert got.values.tolist() == [[0.0, 0.0, 0.0], [42.0, 42.0, 42.0]]
    _assert_same(got, latest_values(definitions=defs, instruments=ids, number_text=True))


def test_a_lost_bump_is_served_until_the_maximum_age_then_read_again(
    book, django_capture_on_commit_callbacks, monkeypatch, settings
):
    defs, ids = book
    _read(defs, ids)
    _new_bar(defs, ids, ["OCA"], 7.0, django_capture_on_commit_callbacks, bump=False)
    assert _read(defs, ids).values[0].tolist() == [0.0, 0.0, 0.0]  # stale, within the maximum age
    now = online_cache.time.monotonic()
    monkeypatch.setattr(
        online_cache.time, "monotonic", lambda: now + settings.FEATURES_ONLINE_CACHE_MAX_AGE_S + 1
    )
    assert _read(defs, ids).values[0].tolist() == [7.0, 7.0, 7.0]


def test_versions_lost_in_redis_start_a_new_epoch_and_nothing_old_is_served(
    book, django_capture_on_commit_callbacks
):
    defs, ids = book
    _read(defs, ids)
    _new_bar(defs, ids, ["OCA"], 5.0, django_capture_on_commit_callbacks, bump=False)
    # Redis restarts empty: the counters would start again at the values the cache holds.
    platform_redis().delete(VERSIONS_KEY)
    online_cache.versions_bump([ids["OCB"]])
    assert _read(defs, ids).values[0].tolist() == [5.0, 5.0, 5.0]


def test_without_redis_the_read_goes_to_the_table(book, monkeypatch, django_capture_on_commit_callbacks):
    defs, ids = book
    _read(defs, ids)
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    monkeypatch.setattr(online_cache, "platform_redis", lambda: dead)
    _new_bar(defs, ids, ["OCA"], 3.0, django_capture_on_commit_callbacks)  # its bump fails quietly
    with CaptureQueriesContext(connection) as queries:
        got = _read(defs, ids)
    assert len(queries) == 1 and got.values[0].tolist() == [3.0, 3.0, 3.0]


def test_a_renderer_runs_once_per_row_read_and_an_unchanged_answer_is_the_same_object(
    book, django_capture_on_commit_callbacks
):
    defs, ids = book
    rendered = []

    def render(read):
        rendered.extend(read.symbols)
        return [f"{s}:{read.values[i, 0]}" for i, s in enumerate(read.symbols)]

    def read():
        return latest_values_cached(definitions=defs, instruments=ids, number_text=True, render=render)

    first = read()
    assert first.rendered == ("OCA:0.0", "OCB:10.0") and rendered == ["OCA", "OCB"]
    again = read()
    assert again is first and rendered == ["OCA", "OCB"]  # nothing read, nothing rendered again
    with pytest.raises(ValueError):
        again.values[0, 0] = 1.0  # shared between callers: read-only
    _new_bar(defs, ids, ["OCB"], 42.0, django_capture_on_commit_callbacks)
    moved = read()
    assert moved is not first and rendered == ["OCA", "OCB", "OCB"]
    assert moved.rendered == ("OCA:0.0", "OCB:42.0")
    _assert_same(moved, latest_values(definitions=defs, instruments=ids, number_text=True))
    # The same list without a renderer is its own entry: it never hands back another caller's rendering.
    plain = _read(defs, ids)
    assert plain.rendered is None
    _assert_same(plain, moved)


def test_an_answer_is_served_on_the_bump_count_alone_until_any_write_moves_it(
    book, django_capture_on_commit_callbacks, monkeypatch
):
    defs, ids = book
    first = _read(defs, ids)
    version_reads, table_reads = [], []
    monkeypatch.setattr(
        online_cache, "versions_read", lambda pks: version_reads.append(list(pks)) or real_versions(pks)
    )
    monkeypatch.setattr(
        online_cache,
        "latest_values",
        lambda **kw: table_reads.append(dict(kw["instruments"])) or real_table(**kw),
    )
    assert _read(defs, ids) is first and version_reads == [] and table_reads == []
    # A write elsewhere (another instrument) moves the count: versions are checked, nothing re-read.
    other = instrument_create(symbol="OCC").pk
    with django_capture_on_commit_callbacks(execute=True):
        store_write(defs, {other: InstrumentValues(ts=FIRST, values=np.full((1, 3), 1.0))})
    assert _read(defs, ids) is first and len(version_reads) == 1 and table_reads == []
    assert _read(defs, ids) is first and len(version_reads) == 1  # checked under the new count
    # A write to an asked instrument is seen at once.
    _new_bar(defs, ids, ["OCA"], 9.0, django_capture_on_commit_callbacks)
    got = _read(defs, ids)
    assert table_reads == [{"OCA": ids["OCA"]}] and got.values[0].tolist() == [9.0, 9.0, 9.0]
    _assert_same(got, latest_values(definitions=defs, instruments=ids, number_text=True))
