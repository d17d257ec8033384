"""HTTP through the deployed entry point (nautilus.asgi): Django's WSGI handler on a fixed pool of
threads (a2wsgi). A request that authenticates by token and reads the database, a refused one (400
with its field), an unknown path, a POST with a body, and a streamed file all answer as through
Django's own handlers, on threads of the pool (not one new thread per request)."""

from __future__ import annotations

import json
import threading

import pytest
from channels.testing import HttpCommunicator
from rest_framework.authtoken.models import Token

from nautilus.asgi import application

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def auth(user):
    return [(b"authorization", f"Token {Token.objects.create(user=user).key}".encode())]


async def _call(method: str, path: str, headers, body: bytes = b"") -> dict:
    return await HttpCommunicator(application, method, path, body=body, headers=headers).get_response(
        timeout=30
    )


async def test_a_token_request_reads_the_database_and_a_bad_one_names_its_field(auth):
    ok = await _call("GET", "/api/features/catalog?group=Momentum%20Indicators", auth)
    assert ok["status"] == 200
    functions = json.loads(ok["body"])
    names = {f["name"] for f in (functions["results"] if isinstance(functions, dict) else functions)}
    assert "RSI" in names and "SMA" not in names  # SMA is an overlap study
    bad = await _call("GET", "/api/features/catalog?group=nope", auth)
    assert bad["status"] == 400 and "group" in json.loads(bad["body"])
    anonymous = await _call("GET", "/api/features/catalog", [])
    assert anonymous["status"] in (401, 403)
    assert (await _call("GET", "/api/no-such-thing", auth))["status"] == 404


@pytest.mark.parametrize("with_length", [True, False], ids=["content-length", "chunked"])
async def test_a_post_body_reaches_the_view(auth, with_length):
    body = json.dumps({"name": "asgi_rsi", "function": "RSI", "params": {"timeperiod": 9}}).encode()
    headers = [*auth, (b"content-type", b"application/json")]
    if with_length:
        headers.append((b"content-length", str(len(body)).encode()))
    made = await _call("POST", "/api/features/definitions", headers, body)
    assert made["status"] == 201, made["body"]
    assert json.loads(made["body"])["params"] == {"timeperiod": 9}


async def test_requests_run_on_the_pools_threads(auth, monkeypatch):
    seen = []
    from apps.features.api import catalog

    real = catalog.CatalogView.get

    def spy(self, request, *args, **kwargs):
        seen.append(threading.current_thread().name)
        return real(self, request, *args, **kwargs)

    monkeypatch.setattr(catalog.CatalogView, "get", spy)
    for _ in range(12):
        assert (await _call("GET", "/api/features/catalog?group=Momentum%20Indicators", auth))[
            "status"
        ] == 200
    assert len(seen) == 12 and all(name.startswith("WSGI") for name in seen)
    assert len(set(seen)) <= 8  # WEB_THREADS threads, reused: not one per request
