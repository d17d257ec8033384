"""A breach reaches WebSocket clients: a client of ws/stream subscribed to risk.breaches.* receives
the monitor's `opened` event for the price that pushed the book over its limit (the real ASGI app,
the real bus on Redis). How fast is `bench risk`'s job (price → breach event); this proves the path."""

from __future__ import annotations

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from rest_framework.authtoken.models import Token

from apps.risk.services.monitor import monitor_run
from nautilus.asgi import application
from tests.risk.conftest import day, make_instrument, make_limit, make_portfolio, store_daily_bars

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
WAIT = 10  # seconds a receive may wait before the test fails; not a speed assertion


@pytest_asyncio.fixture(autouse=True)
async def close_async_db_connections():
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture
def book(user):
    make_instrument("AAA")
    store_daily_bars("AAA", [10.0] * 3)
    pf = make_portfolio("wsbook", owner=user, positions={"AAA": 100})
    make_limit(pf, limit_type="max_position", warn_threshold=800, breach_threshold=1100)  # 1000: warn
    return pf, Token.objects.create(user=user).key


async def test_the_breach_a_new_price_opens_reaches_a_websocket_client(fresh_bus, book):
    _, token = book
    comm = WebsocketCommunicator(
        application, f"/ws/stream?token={token}", headers=[(b"origin", b"http://testserver")]
    )
    ok, _ = await comm.connect(timeout=WAIT)
    assert ok
    await comm.send_json_to({"action": "subscribe", "patterns": ["risk.breaches.*"]})
    assert (await comm.receive_json_from(timeout=WAIT))["type"] == "subscribed"

    # The price moves to 12: the position is worth 1,200, past the 1,100 breach level.
    # Through asgiref's one sync thread, whose database connection the fixture above closes.
    await sync_to_async(store_daily_bars)("AAA", [12.0], start=day(5))
    await sync_to_async(monitor_run)(force=True, symbols=["AAA"])
    msg = await comm.receive_json_from(timeout=WAIT)
    assert (msg["type"], msg["topic"]) == ("event", "risk.breaches.wsbook")
    assert msg["payload"]["event"] == "opened"
    assert msg["payload"]["breach"]["level"] == "breach"
    assert msg["payload"]["breach"]["last_value"] == pytest.approx(1200.0)
    await comm.disconnect()
