"""Rebalancing: whole-lot orders that respect lots and cash, the risk engine's verdict before and
after, accepting books paper transactions and publishes orders and executions, a breach needs a
recorded override by staff (or the permission), proposals decided once."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.contrib.auth.models import Permission

from apps.platform import bus
from apps.portfolio.models import Position, RebalanceProposal, Transaction
from apps.risk import facade as risk
from apps.risk.models import RiskLimit
from tests.portfolio.conftest import MARKET, START, store_closes

pytestmark = pytest.mark.django_db
URL = "/api/portfolio/rebalance/alice_001"
LAST = {"AAPL": 200.0, "MSFT": 300.0, "JPM": 50.0, "XOM": 80.0, "SPY": 400.0}


@pytest.fixture
def closes(instruments):
    """30 days of closes moving 1 % a day (the risk engine measures volatility); the last are LAST."""
    index = pd.date_range(START, periods=30, freq="D").as_unit("ns")
    steps = 0.99 ** np.arange(29, -1, -1)[:, None] * np.where(np.arange(30) % 2, 1.0, 1.01)[:, None]
    steps[-1] = 1.0
    frame = pd.DataFrame(steps * np.array([LAST[s] for s in MARKET]), index=index, columns=list(MARKET))
    store_closes(frame)
    return frame


def _propose(client, **body):
    return client.post(
        URL, {"target_weights": {"AAPL": 0.5, "MSFT": 0.3}, "lot_sizes": {"MSFT": 10}, **body}, format="json"
    )


def test_orders_respect_lots_and_cash_with_the_risk_verdict(api_client, portfolio, closes):
    resp = _propose(api_client)
    assert resp.status_code == 201, resp.content
    doc = resp.json()
    # NAV 85,000 + 100 AAPL x 200 = 105,000 (see the kernel test for the rounding)
    assert Decimal(doc["nav"]) == 105_000
    orders = {o["symbol"]: o for o in doc["orders"]}
    assert set(orders) == {"AAPL", "MSFT"}
    assert (orders["AAPL"]["side"], Decimal(orders["AAPL"]["quantity"])) == ("buy", 162)
    assert (orders["MSFT"]["lots"], Decimal(orders["MSFT"]["quantity"])) == (10, 100)
    assert Decimal(doc["cash_after"]) == 85_000 - 162 * 200 - 100 * 300 >= 0
    assert doc["risk"]["verdict"] == "pass" and doc["risk"]["breach"] is False
    assert doc["status"] == "proposed"


def test_never_more_cash_than_there_is(api_client, portfolio, closes):
    resp = api_client.post(URL, {"target_weights": {"SPY": 1.0}, "cash_buffer": 0.05}, format="json")
    doc = resp.json()
    orders = {o["symbol"]: o for o in doc["orders"]}
    # 105,000 x 0.95 = 99,750 / 400 = 249.4 -> 249 SPY; the AAPL is sold
    assert Decimal(orders["SPY"]["quantity"]) == 249 and orders["AAPL"]["side"] == "sell"
    assert Decimal(doc["cash_after"]) == Decimal(105_000 - 249 * 400) >= Decimal("0.05") * 105_000


def test_the_risk_verdict_carries_before_and_after_utilization(api_client, portfolio, closes):
    RiskLimit.objects.create(
        portfolio=portfolio,
        scope="portfolio",
        unit="absolute",
        limit_type="max_position",
        breach_threshold=40_000,
    )
    doc = _propose(api_client).json()  # AAPL goes from 20,000 to 52,400
    assert doc["risk"]["verdict"] == "reject" and doc["risk"]["breach"] is True
    (limit,) = doc["risk"]["limits"]
    assert limit["status"] == "breach" and limit["utilization"] == pytest.approx(262 * 200 / 40_000)
    # the same limits, before and after, as the risk engine answers for these orders
    direct = risk.pre_trade_check(
        portfolio.pk,
        [risk.Order(o["symbol"], o["side"], float(o["quantity"]), float(o["price"])) for o in doc["orders"]],
    )
    (expected,) = direct.limits
    assert direct.verdict == "reject"
    assert (limit["status_before"], limit["utilization_before"]) == (
        expected.status_before,
        expected.utilization_before,
    )


def _events():
    return list(bus.subscribe("trading.#", last_id="0", follow=False))


def test_accept_books_the_trades_and_publishes(
    api_client, portfolio, closes, fresh_bus, django_capture_on_commit_callbacks
):
    doc = _propose(api_client).json()
    with django_capture_on_commit_callbacks(execute=True):
        resp = api_client.post(f"/api/portfolio/proposals/{doc['id']}/accept", {}, format="json")
    assert resp.status_code == 200, resp.content
    accepted = resp.json()
    assert accepted["status"] == "accepted" and accepted["override_reason"] is None
    held = dict(Position.objects.filter(portfolio=portfolio).values_list("instrument__symbol", "quantity"))
    assert held == {"AAPL": 262, "MSFT": 100}
    portfolio.refresh_from_db()
    assert portfolio.cash == Decimal(doc["cash_after"])
    assert sorted(
        Transaction.objects.filter(pk__in=accepted["transaction_ids"]).values_list("type", flat=True)
    ) == ["buy", "buy"]
    topics = [e.topic for e in _events()]
    assert topics.count("trading.orders.alice_001") == 2 and topics.count("trading.executions.alice_001") == 2
    orders = [e.payload for e in _events() if e.topic == "trading.orders.alice_001"]
    assert {(o["symbol"], o["side"], Decimal(o["quantity"])) for o in orders} == {
        ("AAPL", "buy", 162),
        ("MSFT", "buy", 100),
    }
    again = api_client.post(f"/api/portfolio/proposals/{doc['id']}/accept", {}, format="json")
    assert again.status_code == 409


def test_a_breach_needs_a_recorded_override_by_staff_or_the_permission(
    api_client, user, staff_client, portfolio, closes
):
    RiskLimit.objects.create(
        portfolio=portfolio,
        scope="portfolio",
        unit="absolute",
        limit_type="max_position",
        breach_threshold=40_000,
    )
    doc = _propose(api_client).json()
    accept = f"/api/portfolio/proposals/{doc['id']}/accept"
    resp = api_client.post(accept, {}, format="json")
    assert resp.status_code == 400 and "override_reason" in resp.json()
    assert api_client.post(accept, {"override_reason": "desk approved"}, format="json").status_code == 403
    assert RebalanceProposal.objects.get(pk=doc["id"]).status == "proposed"
    assert not Transaction.objects.filter(type="buy", instrument__symbol="MSFT").exists()
    user.user_permissions.add(Permission.objects.get(codename="override_rebalance"))
    resp = api_client.post(accept, {"override_reason": "desk approved"}, format="json")
    assert resp.status_code == 200, resp.content
    stored = RebalanceProposal.objects.get(pk=doc["id"])
    assert stored.status == "accepted" and stored.override_reason == "desk approved"
    assert stored.decided_by == user and len(stored.transaction_ids) == 2


def test_staff_may_override(staff_client, api_client, portfolio, closes):
    RiskLimit.objects.create(
        portfolio=portfolio,
        scope="portfolio",
        unit="absolute",
        limit_type="max_position",
        breach_threshold=40_000,
    )
    doc = _propose(api_client).json()
    resp = staff_client.post(
        f"/api/portfolio/proposals/{doc['id']}/accept", {"override_reason": "ok"}, format="json"
    )
    assert resp.status_code == 200 and resp.json()["override_reason"] == "ok"


def test_reject_and_who_may(api_client, other_client, portfolio, closes):
    assert other_client.post(URL, {"target_weights": {"AAPL": 1.0}}, format="json").status_code == 403
    doc = _propose(api_client).json()
    assert other_client.get(f"/api/portfolio/proposals/{doc['id']}").status_code == 403
    assert other_client.post(f"/api/portfolio/proposals/{doc['id']}/reject").status_code == 403
    resp = api_client.post(f"/api/portfolio/proposals/{doc['id']}/reject")
    assert resp.status_code == 200 and resp.json()["status"] == "rejected"
    assert (
        api_client.post(f"/api/portfolio/proposals/{doc['id']}/accept", {}, format="json").status_code == 409
    )
    assert api_client.get("/api/portfolio/proposals/999999").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "optimization"),
        ({"target_weights": {"AAPL": 1.0}, "optimization": 1}, "optimization"),
        ({"target_weights": {"NOPE": 1.0}}, "target_weights"),
        ({"target_weights": {"AAPL": 1.0}, "lot_sizes": {"AAPL": 0}}, "lot_sizes"),
        ({"target_weights": {"AAPL": 1.0}, "lot_sizes": {"XOM": 5}}, "lot_sizes"),
        ({"target_weights": {"AAPL": 1.0}, "cash_buffer": 2}, "cash_buffer"),
    ],
)
def test_bad_input_is_a_400_on_its_field(api_client, portfolio, closes, body, field):
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 400 and field in resp.json(), resp.content


def test_from_an_optimization(api_client, portfolio, market):
    opt = api_client.post(
        "/api/portfolio/optimize/alice_001",
        {"method": "min_variance", "universe": list(MARKET)},
        format="json",
    ).json()
    resp = api_client.post(URL, {"optimization": opt["id"]}, format="json")
    assert resp.status_code == 201, resp.content
    doc = resp.json()
    prices = market.iloc[-1]
    nav = 85_000 + 100 * prices["AAPL"]
    target = {s: np.trunc(opt["weights"][s] * nav / prices[s]) for s in MARKET}
    target["AAPL"] -= 100
    got = {o["symbol"]: Decimal(o["quantity"]) * (1 if o["side"] == "buy" else -1) for o in doc["orders"]}
    assert got == {s: Decimal(int(q)) for s, q in target.items() if q != 0}
    assert doc["optimization"] == opt["id"]
