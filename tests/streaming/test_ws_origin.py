"""The Origin check guards browser (session) connections only; unknown WebSocket paths are refused cleanly."""

from __future__ import annotations

import logging

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from rest_framework.authtoken.models import Token

from nautilus.asgi import application

from .wsclient import WAIT

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
EVIL = (b"origin", b"http://evil.example")
# A close before the handshake is accepted: the ASGI server answers it with HTTP 403.
REFUSED = (False, 1000)


@pytest.fixture
def token(user):
    return Token.objects.create(user=user).key


@pytest.fixture
def session_cookie(user, client):
    client.force_login(user)
    return (
        b"cookie",
        f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode(),
    )


async def handshake(path: str, headers) -> tuple[bool, object]:
    comm = WebsocketCommunicator(application, path, headers=list(headers))
    ok, code = await comm.connect(timeout=WAIT)
    if ok:
        await comm.send_json_to({"action": "ping"})
        assert await comm.receive_json_from(timeout=WAIT) == {"type": "pong"}  # authenticated, not 4401
        await comm.disconnect()
    return ok, code


@pytest.mark.parametrize("origin", [None, EVIL], ids=["no-origin", "foreign-origin"])
@pytest.mark.parametrize("where", ["query", "header"])
async def test_a_token_connection_needs_no_origin(fresh_bus, token, where, origin):
    headers = [origin] if origin else []
    path = "/ws/stream"
    if where == "query":
        path += f"?token={token}"
    else:
        headers.append((b"authorization", f"Token {token}".encode()))
    assert (await handshake(path, headers))[0] is True


@pytest.mark.parametrize("origin", [None, EVIL], ids=["no-origin", "foreign-origin"])
async def test_a_session_connection_from_a_foreign_or_missing_origin_is_refused(
    fresh_bus, session_cookie, origin
):
    headers = [session_cookie, *([origin] if origin else [])]
    assert await handshake("/ws/stream", headers) == REFUSED


async def test_a_bad_token_falls_back_to_the_session_and_its_origin_check(fresh_bus, session_cookie):
    # Otherwise a hostile page could add ?token=junk to ride on the visitor's session cookie.
    headers = [session_cookie, EVIL]
    assert await handshake("/ws/stream?token=junk", headers) == REFUSED
    assert await handshake("/ws/stream", [session_cookie, (b"origin", b"http://testserver")]) == (True, None)


@pytest.mark.parametrize("path", ["/ws/nope", "/ws/stream/extra", "/"])
async def test_an_unknown_path_is_refused_without_an_error(fresh_bus, token, path, caplog):
    caplog.set_level(logging.WARNING)
    site = (b"origin", b"http://testserver")  # past every check, down to the router
    assert await handshake(f"{path}?token={token}", [site]) == REFUSED
    assert await handshake(path, [site]) == REFUSED
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
