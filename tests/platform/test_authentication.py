"""Cached token authentication (apps/platform/authentication.py): a repeated token costs no query, and
a deleted token, a deactivated user or a new token stops (or starts) counting on the very next
request, because their commits move the auth epoch; without Redis every request reads the database."""

from __future__ import annotations

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.backoff import NoBackoff
from redis.retry import Retry
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.platform import authentication
from apps.platform.authentication import EPOCH_KEY, auth_cache_clear
from apps.platform.redis_client import platform_redis

pytestmark = pytest.mark.django_db
URL = "/api/engines/"


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.AUTH_CACHE_MAX_AGE_S = 60.0
    auth_cache_clear()
    yield
    auth_cache_clear()


@pytest.fixture
def client_of(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client, token


def _token_queries(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        status = client.get(URL).status_code
    return status, sum("authtoken_token" in q["sql"] for q in queries)


def test_a_token_is_read_once_then_served_from_the_cache(client_of):
    client, _token = client_of
    assert _token_queries(client) == (200, 1)
    assert _token_queries(client) == (200, 0)
    assert _token_queries(client) == (200, 0)


def test_a_deleted_token_is_refused_on_the_next_request(client_of, django_capture_on_commit_callbacks):
    client, token = client_of
    assert _token_queries(client) == (200, 1)
    with django_capture_on_commit_callbacks(execute=True):
        token.delete()
    assert client.get(URL).status_code == 401


def test_a_deactivated_user_is_refused_on_the_next_request(
    client_of, user, django_capture_on_commit_callbacks
):
    client, _token = client_of
    assert _token_queries(client) == (200, 1)
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
    resp = client.get(URL)
    assert resp.status_code == 401 and "inactive" in resp.json()["detail"].lower()


def test_each_request_gets_its_own_user_object(client_of, user):
    client, _token = client_of
    client.get(URL)
    cached = authentication._entries
    assert len(cached) == 1
    a = authentication.CachedTokenAuthentication().authenticate_credentials(next(iter(cached)))[0]
    b = authentication.CachedTokenAuthentication().authenticate_credentials(next(iter(cached)))[0]
    assert a is not b and a.pk == b.pk == user.pk
    a._perm_cache = {"x"}
    assert not hasattr(b, "_perm_cache")


def test_an_entry_older_than_the_maximum_age_is_read_again(client_of, monkeypatch, settings):
    client, _token = client_of
    assert _token_queries(client) == (200, 1)
    now = authentication.time.monotonic()
    monkeypatch.setattr(authentication.time, "monotonic", lambda: now + settings.AUTH_CACHE_MAX_AGE_S + 1)
    assert _token_queries(client) == (200, 1)


def test_a_lost_epoch_is_a_new_epoch(client_of):
    client, _token = client_of
    assert _token_queries(client) == (200, 1)
    # Redis restarted empty and counted again to a value no entry was made under. An integer: the
    # epoch stays one for the bumps of the tests after this one (INCR refuses anything else).
    before = int(platform_redis().get(EPOCH_KEY) or 0)
    platform_redis().set(EPOCH_KEY, before + 1_000_000)
    assert _token_queries(client) == (200, 1)


def test_without_redis_every_request_reads_the_database(client_of, monkeypatch):
    client, _token = client_of
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    monkeypatch.setattr(authentication, "platform_redis", lambda: dead)
    assert _token_queries(client) == (200, 1)
    assert _token_queries(client) == (200, 1)
