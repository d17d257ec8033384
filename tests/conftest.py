"""Shared fixtures. Engine test folders add their own conftest.py next to their tests."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


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
