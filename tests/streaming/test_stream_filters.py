"""ws/stream field filters end to end: only matching events arrive, a bad filter is an error frame."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from .wsclient import WAIT, connect, events_until, publish, subscribe

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff_token(staff_user):
    return Token.objects.create(user=staff_user).key


async def test_symbol_severity_and_field_filters(fresh_bus, staff_token):
    comm = await connect(f"/ws/stream?token={staff_token}")
    await comm.send_json_to(
        {
            "action": "subscribe",
            "patterns": ["market.data.bars.*"],
            "filters": {"symbol": ["AAPL"], "fields": [{"field": "close", "op": ">=", "value": 100}]},
        }
    )
    ack = await comm.receive_json_from(timeout=WAIT)
    assert ack["filtered"] == ["market.data.bars.*"]
    _, _ = await subscribe(comm, ["risk.breaches.*"])  # re-filtered below
    await comm.send_json_to(
        {"action": "subscribe", "patterns": ["risk.breaches.*"], "filters": {"severity": "high"}}
    )
    await comm.receive_json_from(timeout=WAIT)

    wanted = []
    await publish("market.data.bars.MSFT", {"symbol": "MSFT", "close": 300})
    await publish("market.data.bars.AAPL", {"symbol": "AAPL", "close": 99})
    wanted.append(await publish("market.data.bars.AAPL", {"symbol": "AAPL", "close": 101}))
    await publish("risk.breaches.p", {"breach": {"severity": "medium"}})
    wanted.append(await publish("risk.breaches.p", {"breach": {"severity": "critical"}}))
    got = await events_until(comm, wanted[-1])
    assert [m["id"] for m in got] == wanted
    assert await comm.receive_nothing(timeout=0.2)
    await comm.disconnect()


async def test_replay_honours_the_filter(fresh_bus, staff_token):
    ids = [await publish("market.data.quotes.AAPL", {"symbol": "AAPL", "bid": b}) for b in (1, 5, 2, 7)]
    comm = await connect(f"/ws/stream?token={staff_token}")
    await comm.send_json_to(
        {
            "action": "subscribe",
            "patterns": ["market.data.quotes.*"],
            "last_id": "0",
            "filters": {"fields": [{"field": "bid", "op": ">", "value": 4}]},
        }
    )
    ack = await comm.receive_json_from(timeout=WAIT)
    assert ack["replayed"] == 2
    assert [(await comm.receive_json_from(timeout=WAIT))["id"] for _ in range(2)] == [ids[1], ids[3]]
    await comm.disconnect()


async def test_an_invalid_filter_is_an_error_and_subscribes_nothing(fresh_bus, staff_token):
    comm = await connect(f"/ws/stream?token={staff_token}")
    await comm.send_json_to({"action": "subscribe", "patterns": ["#"], "filters": {"severity": "dire"}})
    msg = await comm.receive_json_from(timeout=WAIT)
    assert msg == {"type": "error", "detail": "filters.severity must be one of low, medium, high, critical"}
    await publish("market.data.bars.AAPL", {"symbol": "AAPL"})
    assert await comm.receive_nothing(timeout=0.2)
    await comm.send_json_to({"action": "ping"})
    assert await comm.receive_json_from(timeout=WAIT) == {"type": "pong"}
    await comm.disconnect()


async def test_a_filter_added_to_an_unfiltered_subscription_and_taken_away_again(fresh_bus, staff_token):
    comm = await connect(f"/ws/stream?token={staff_token}")
    await subscribe(comm, ["market.data.bars.*"])  # no filter: the relay is given none to call
    first = await publish("market.data.bars.MSFT", {"symbol": "MSFT"})
    assert [m["id"] for m in await events_until(comm, first)] == [first]
    await comm.send_json_to(
        {"action": "subscribe", "patterns": ["market.data.bars.*"], "filters": {"symbol": ["AAPL"]}}
    )
    assert (await comm.receive_json_from(timeout=WAIT))["filtered"] == ["market.data.bars.*"]
    await publish("market.data.bars.MSFT", {"symbol": "MSFT"})
    aapl = await publish("market.data.bars.AAPL", {"symbol": "AAPL"})
    assert [m["id"] for m in await events_until(comm, aapl)] == [aapl]  # the MSFT bar was filtered out
    await comm.send_json_to({"action": "unsubscribe", "patterns": ["market.data.bars.*"]})
    assert (await comm.receive_json_from(timeout=WAIT))["type"] == "unsubscribed"
    await subscribe(comm, ["market.data.bars.*"])
    msft = await publish("market.data.bars.MSFT", {"symbol": "MSFT"})
    assert [m["id"] for m in await events_until(comm, msft)] == [msft]  # unfiltered again
    await comm.disconnect()
