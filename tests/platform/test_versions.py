"""Version tokens (apps.platform.versions) against the real Redis at REDIS_URL: replaced after the
commit, once per transaction however many bumps it made, never stranded by a rollback, and never
handed out again after Redis lost them."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import transaction

from apps.platform import versions
from apps.platform.redis_client import platform_redis

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def name(monkeypatch):
    # Names that earlier tests' rolled-back transactions left pending would go out with this test's
    # first commit (as designed: a rollback never strands a name); start from none.
    monkeypatch.setattr(versions, "_pending", threading.local())
    n = f"test.{uuid.uuid4().hex}"
    yield n
    platform_redis().delete(versions.PREFIX + n)


def _token(name):
    (token,) = versions.versions_read([name])
    return token


def test_a_bump_lands_after_the_commit_once(name, monkeypatch):
    first = _token(name)
    assert first is not None and _token(name) == first  # created once, then stable
    sent = []
    real = versions.versions_bump
    monkeypatch.setattr(versions, "versions_bump", lambda names: sent.append(sorted(names)) or real(names))
    with transaction.atomic():
        for _ in range(3):
            versions.version_bump_on_commit(name)
        assert _token(name) == first  # not before the commit
    assert _token(name) != first
    assert sent == [[name]]  # three bumps in one transaction, one MSET


def test_a_rolled_back_bump_goes_out_with_the_next_commit(name):
    first = _token(name)
    with pytest.raises(RuntimeError), transaction.atomic():
        versions.version_bump_on_commit(name)
        raise RuntimeError("rolled back")
    assert _token(name) == first
    other = f"{name}.other"
    versions.version_bump_on_commit(other)  # outside a transaction: now, with the stranded name
    assert _token(name) != first
    platform_redis().delete(versions.PREFIX + other)


def test_a_lost_token_comes_back_as_a_new_one(name):
    first = _token(name)
    platform_redis().delete(versions.PREFIX + name)  # Redis restarted empty
    assert _token(name) not in (None, first)


def test_no_redis_no_tokens_and_no_cache_in_a_transaction(name, monkeypatch):
    import redis

    class Down:
        def mget(self, keys):
            raise redis.ConnectionError("down")

        def mset(self, mapping):
            raise redis.ConnectionError("down")

    assert versions.cache_allowed()
    with transaction.atomic():
        assert not versions.cache_allowed()
    monkeypatch.setattr(versions, "platform_redis", lambda: Down())
    assert versions.versions_read([name]) is None
    versions.versions_bump([name])  # logged, not raised
