"""Pre-subscribed feeds: ws/market/{symbol}, ws/portfolio/{id}, ws/risk/{portfolio}."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token

from apps.marketdata.services import instrument_create
from apps.portfolio.services import portfolio_create

from .wsclient import WAIT, connect, events_until, publish

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup(user, other_user):
    instrument_create(symbol="AAPL", name="Apple")
    mine = portfolio_create(code="alice_001", name="A", owner=user)
    theirs = portfolio_create(code="mal_001", name="M", owner=other_user)
    return Token.objects.create(user=user).key, mine, theirs


async def _closed(path: str) -> dict:
    comm = await connect(path)
    out = await comm.receive_output(timeout=WAIT)
    await comm.disconnect()
    return out


async def test_market_feed_gets_its_symbol_only(fresh_bus, setup):
    token, _, _ = setup
    comm = await connect(f"/ws/market/AAPL?token={token}")
    assert (await comm.receive_json_from(timeout=WAIT))["type"] == "subscribed"  # live from here on
    await publish("market.data.quotes.MSFT", {"symbol": "MSFT"})
    want = [
        await publish("market.data.quotes.AAPL", {"symbol": "AAPL", "bid": 1}),
        await publish("market.data.bars.AAPL", {"symbol": "AAPL", "close": 2}),
        await publish("market.data.level2.AAPL", {"symbol": "AAPL", "bids": []}),
    ]
    assert [m["id"] for m in await events_until(comm, want[-1])] == want
    await comm.disconnect()


async def test_portfolio_feed_gets_its_portfolio_only_and_replays_from_last_id(fresh_bus, setup):
    token, mine, theirs = setup
    first = await publish(f"trading.executions.{mine.code}", {"portfolio": mine.code, "i": 0})
    missed = await publish(f"trading.positions.{mine.code}", {"portfolio": mine.code, "i": 1})
    comm = await connect(f"/ws/portfolio/{mine.pk}?token={token}&last_id={first}")
    ack = await comm.receive_json_from(timeout=WAIT)
    assert ack["type"] == "subscribed" and ack["replayed"] == 1
    assert (await comm.receive_json_from(timeout=WAIT))["id"] == missed
    await publish(f"trading.executions.{theirs.code}", {"portfolio": theirs.code})
    await publish("risk.breaches.alice_001", {"breach": {"portfolio": mine.code}})  # the risk feed's
    want = [
        await publish(f"trading.orders.{mine.code}", {"portfolio": mine.code}),
        await publish(f"analytics.performance.{mine.code}", {"portfolio": mine.code}),
    ]
    assert [m["id"] for m in await events_until(comm, want[-1])] == want
    await comm.disconnect()


async def test_risk_feed_by_code_gets_breaches_and_reports_naming_it(fresh_bus, setup):
    token, mine, theirs = setup
    comm = await connect(f"/ws/risk/{mine.code}?token={token}")
    assert (await comm.receive_json_from(timeout=WAIT))["type"] == "subscribed"
    assert (await comm.receive_json_from(timeout=WAIT))["type"] == "subscribed"
    await publish("risk.alerts.reports", {"portfolios": [theirs.code]})
    await publish(f"trading.executions.{mine.code}", {"portfolio": mine.code})
    want = [
        await publish(f"risk.breaches.{mine.code}", {"breach": {"portfolio": mine.code, "severity": "high"}}),
        await publish("risk.alerts.reports", {"portfolios": [mine.code]}),
    ]
    assert [m["id"] for m in await events_until(comm, want[-1])] == want
    await comm.disconnect()


@pytest.mark.parametrize(
    "path,code",
    [
        ("/ws/portfolio/{theirs}", 4403),
        ("/ws/risk/mal_001", 4403),
        ("/ws/portfolio/999999", 4404),
        ("/ws/risk/nobody", 4404),
        ("/ws/market/ZZZZ", 4404),
        ("/ws/portfolio/{mine}?last_id=yesterday", 4400),
    ],
)
async def test_feeds_refuse_with_a_close_code(fresh_bus, setup, path, code):
    token, mine, theirs = setup
    path = path.format(mine=mine.pk, theirs=theirs.pk)
    sep = "&" if "?" in path else "?"
    out = await _closed(f"{path}{sep}token={token}")
    assert out["type"] == "websocket.close" and out["code"] == code and out["reason"]


async def test_feeds_need_authentication(fresh_bus, setup):
    _, mine, _ = setup
    out = await _closed(f"/ws/portfolio/{mine.pk}")
    assert out["code"] == 4401


async def test_a_feed_answers_ping_and_refuses_subscribe(fresh_bus, setup):
    token, _, _ = setup
    comm = await connect(f"/ws/market/AAPL?token={token}")
    assert (await comm.receive_json_from(timeout=WAIT))["type"] == "subscribed"
    await comm.send_json_to({"action": "subscribe", "patterns": ["#"]})
    assert (await comm.receive_json_from(timeout=WAIT)) == {
        "type": "error",
        "detail": "action must be one of ping, pong",
    }
    await comm.send_json_to({"action": "ping"})
    assert await comm.receive_json_from(timeout=WAIT) == {"type": "pong"}
    await comm.disconnect()


async def test_staff_may_open_any_portfolio(fresh_bus, setup, staff_user):
    _, _, theirs = setup
    token = await sync_to_async(lambda: Token.objects.create(user=staff_user).key)()
    comm = await connect(f"/ws/portfolio/{theirs.code}?token={token}")
    assert (await comm.receive_json_from(timeout=WAIT))["type"] == "subscribed"
    await comm.disconnect()
