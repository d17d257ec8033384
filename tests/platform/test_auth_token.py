"""POST /api/auth/token: a user's API token for its username and password, no user enumeration, throttled."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

URL = "/api/auth/token"
BAD = {"password": ["Unable to log in with the given username and password."]}


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()  # the throttle's request history lives in the cache
    yield
    cache.clear()


def test_right_password_gives_a_token_that_authenticates(db, user):
    resp = APIClient().post(URL, {"username": "alice", "password": "pw-alice-123"}, format="json")
    assert resp.status_code == 200
    key = resp.json()["token"]
    assert Token.objects.get(user=user).key == key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/engines/").status_code == 200
    assert APIClient().get("/api/engines/").status_code == 401  # the endpoint really needs the token


def test_an_existing_token_is_returned_not_replaced(db, user):
    existing = Token.objects.create(user=user).key
    resp = APIClient().post(URL, {"username": "alice", "password": "pw-alice-123"})  # form-encoded too
    assert (resp.status_code, resp.json()) == (200, {"token": existing})


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice", "password": "wrong"},
        {"username": "nobody", "password": "pw-alice-123"},
        {"username": "ALICE ", "password": "pw-alice-123"},
    ],
    ids=["wrong-password", "unknown-user", "other-spelling"],
)
def test_bad_credentials_are_400_and_say_nothing_about_the_user(db, user, body):
    resp = APIClient().post(URL, body, format="json")
    assert (resp.status_code, resp.json()) == (400, BAD)
    assert not Token.objects.exists()


def test_an_inactive_user_gets_the_same_400(db, user):
    user.is_active = False
    user.save()
    resp = APIClient().post(URL, {"username": "alice", "password": "pw-alice-123"}, format="json")
    assert (resp.status_code, resp.json()) == (400, BAD)
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    "body,fields",
    [
        ({}, {"username", "password"}),
        ({"username": "alice"}, {"password"}),
        ({"password": "x"}, {"username"}),
    ],
)
def test_missing_fields_are_named(db, body, fields):
    resp = APIClient().post(URL, body, format="json")
    assert resp.status_code == 400
    assert set(resp.json()) == fields


def test_a_stale_token_header_does_not_get_in_the_way(db, user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.post(URL, {"username": "alice", "password": "pw-alice-123"}).status_code == 200


def test_attempts_are_throttled_per_address_at_the_configured_rate(db, user, settings):
    settings.AUTH_TOKEN_THROTTLE_RATE = "3/min"
    client = APIClient(REMOTE_ADDR="10.1.1.1")
    codes = [client.post(URL, {"username": "alice", "password": "wrong"}).status_code for _ in range(3)]
    assert codes == [400, 400, 400]
    # The right password does not get past the limit, nor does a made-up X-Forwarded-For.
    assert client.post(URL, {"username": "alice", "password": "pw-alice-123"}).status_code == 429
    spoofed = client.post(URL, {"username": "alice", "password": "x"}, HTTP_X_FORWARDED_FOR="192.0.2.9")
    assert spoofed.status_code == 429
    other = APIClient(REMOTE_ADDR="10.1.1.2")
    assert other.post(URL, {"username": "alice", "password": "pw-alice-123"}).status_code == 200


def test_default_rate_is_ten_a_minute(db, user):
    client = APIClient()
    codes = [client.post(URL, {"username": "alice", "password": "wrong"}).status_code for _ in range(11)]
    assert codes == [400] * 10 + [429]


def test_the_schema_documents_request_and_response(db, staff_client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    op = schema["paths"]["/api/auth/token"]["post"]
    assert set(op["responses"]) >= {"200", "400", "429"}
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Token")
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(body["required"]) == {"username", "password"}
    assert op.get("security", []) in ([], [{}])  # no authentication required
