"""The API's default throttles in Redis (apps/platform/throttling.py): DRF's sliding-window rule,
decided the same as DRF's own throttle on the same requests, an exact Retry-After, refused requests
not counted, one window per user (anonymous: per address), and no outage when Redis is down."""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from redis.backoff import NoBackoff
from redis.retry import Retry
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import UserRateThrottle

from apps.platform import throttling
from apps.platform.redis_client import platform_redis
from apps.platform.throttling import AnonThrottle, UserThrottle

factory = APIRequestFactory()


def _request(user=None, addr="10.0.0.1"):
    req = factory.get("/anything", REMOTE_ADDR=addr)
    req.user = user if user is not None else AnonymousUser()
    return req


class _User:
    is_authenticated = True

    def __init__(self):
        self.pk = uuid.uuid4().hex  # a fresh window per test, whatever Redis holds from earlier runs


def _throttle(cls, rate):
    return type(cls.__name__, (cls,), {"rate": rate})()


def test_a_burst_is_decided_as_drf_decides_it():
    user = _User()
    ours = [_throttle(UserThrottle, "3/min").allow_request(_request(user), None) for _ in range(6)]

    class DrfCacheThrottle(UserRateThrottle):
        rate = "3/min"
        cache = caches["default"]

    caches["default"].delete(f"throttle_user_{user.pk}")
    try:
        theirs = [DrfCacheThrottle().allow_request(_request(user), None) for _ in range(6)]
    finally:
        caches["default"].delete(f"throttle_user_{user.pk}")
    assert ours == theirs == [True, True, True, False, False, False]


def test_retry_after_is_when_the_oldest_counted_request_leaves_the_window():
    user = _User()
    first = time.monotonic()
    for _ in range(2):
        assert _throttle(UserThrottle, "2/min").allow_request(_request(user), None)
    refused = _throttle(UserThrottle, "2/min")
    assert not refused.allow_request(_request(user), None)
    elapsed = time.monotonic() - first
    assert 60 - elapsed - 0.05 <= refused.wait() <= 60


def test_refused_requests_do_not_count_and_the_window_slides():
    user = _User()
    assert [_throttle(UserThrottle, "2/s").allow_request(_request(user), None) for _ in range(5)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    refused = _throttle(UserThrottle, "2/s")
    assert not refused.allow_request(_request(user), None)
    time.sleep(refused.wait() + 0.05)
    # The two counted requests left the window; the four refused ones never entered it.
    assert [_throttle(UserThrottle, "2/s").allow_request(_request(user), None) for _ in range(3)] == [
        True,
        True,
        False,
    ]


def test_each_user_and_each_anonymous_address_has_its_own_window():
    alice, bob = _User(), _User()
    assert _throttle(UserThrottle, "1/min").allow_request(_request(alice), None)
    assert not _throttle(UserThrottle, "1/min").allow_request(_request(alice), None)
    assert _throttle(UserThrottle, "1/min").allow_request(_request(bob), None)
    here, there = f"10.1.{uuid.uuid4().int % 250}.1", f"10.2.{uuid.uuid4().int % 250}.2"
    assert _throttle(AnonThrottle, "1/min").allow_request(_request(addr=here), None)
    assert not _throttle(AnonThrottle, "1/min").allow_request(_request(addr=here), None)
    assert _throttle(AnonThrottle, "1/min").allow_request(_request(addr=there), None)
    # The anonymous throttle leaves authenticated users to the user throttle.
    assert _throttle(AnonThrottle, "1/min").allow_request(_request(alice, addr=here), None)


def test_without_redis_requests_are_let_through(monkeypatch, caplog):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    monkeypatch.setattr(throttling, "platform_redis", lambda: dead)
    monkeypatch.setattr(throttling, "_last_warning", 0.0)
    user = _User()
    assert all(_throttle(UserThrottle, "1/min").allow_request(_request(user), None) for _ in range(3))
    assert "Redis unreachable" in caplog.text


@pytest.mark.django_db
def test_the_api_answers_429_with_retry_after_through_the_default_throttle(api_client, user, monkeypatch):
    monkeypatch.setitem(UserThrottle.THROTTLE_RATES, "user", "2/min")
    platform_redis().delete(f"{throttling.KEY_PREFIX}throttle_user_{user.pk}")  # an earlier run's
    statuses = [api_client.get("/api/engines/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    resp = api_client.get("/api/engines/")
    assert resp.status_code == 429 and 55 <= int(resp["Retry-After"]) <= 60
