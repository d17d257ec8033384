"""ws/stream against deeply nested JSON: an error frame, and the connection lives on (before, the
decoder's RecursionError dropped the socket without a close frame)."""

from __future__ import annotations

import pytest

from tests.streaming.test_stream_ws import WAIT, close_async_db_connections, connected, token  # noqa: F401

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("depth", [65, 980, 20_000])
async def test_a_deeply_nested_message_gets_an_error_and_the_connection_lives(fresh_bus, token, depth):  # noqa: F811
    comm = await connected(f"/ws/stream?token={token}")
    await comm.send_to(text_data='{"action": ' + "[" * depth + "]" * depth + "}")
    msg = await comm.receive_json_from(timeout=WAIT)
    assert msg == {"type": "error", "detail": "JSON nested deeper than 64 levels"}
    await comm.send_json_to({"action": "ping"})
    assert await comm.receive_json_from(timeout=WAIT) == {"type": "pong"}
    await comm.disconnect()


async def test_nesting_within_the_limit_is_read_as_a_message(fresh_bus, token):  # noqa: F811
    comm = await connected(f"/ws/stream?token={token}")
    await comm.send_to(text_data='{"action": ' + "[" * 63 + "]" * 63 + "}")
    msg = await comm.receive_json_from(timeout=WAIT)
    assert msg["type"] == "error" and "action must be" in msg["detail"]
    await comm.disconnect()
