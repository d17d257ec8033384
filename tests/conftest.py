"""Shared fixtures. Engine test folders add their own conftest.py next to their tests."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.platform import bus


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="alice", password="pw-alice-123")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="mallory", password="pw-mallory-123")


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(username="ops", password="pw-ops-123", is_staff=True)


def _token_client(u) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=u)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api_client(user) -> APIClient:
    """An API client authenticated with `user`'s DRF token."""
    return _token_client(user)


@pytest.fixture
def other_client(other_user) -> APIClient:
    return _token_client(other_user)


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    return _token_client(staff_user)


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def fresh_bus():
    """The bus on a private key prefix, with empty buffers and counters; its keys are removed after."""
    prefix = f"test:bus:{uuid.uuid4().hex[:8]}:"
    bus.reset()
    bus.configure(prefix=prefix)
    yield prefix
    bus.reset()
    r = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(r.scan_iter(match=f"{prefix}*"))
    if keys:
        r.delete(*keys)
