"""The portfolio API: who sees what (401/403), field-level 400s, filtering and pagination."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from apps.portfolio.models import Position, Transaction
from apps.portfolio.services import portfolio_create, transaction_record

pytestmark = pytest.mark.django_db
PF = "/api/portfolio/portfolios/"
TX = "/api/portfolio/transactions/"


@pytest.fixture
def mallorys(other_user, instruments):
    p = portfolio_create(code="mallory_001", name="Mallory", owner=other_user, initial_cash=Decimal(500))
    transaction_record(portfolio=p, type="buy", instrument="JPM", quantity=Decimal(2), price=Decimal(100))
    return p


def test_everything_needs_credentials(anon_client, portfolio):
    for url in (PF, f"{PF}alice_001/", f"{PF}alice_001/positions/", TX):
        assert anon_client.get(url).status_code == 401, url
    assert anon_client.post(TX, {}, format="json").status_code == 401


def test_owner_sees_detail_with_positions_and_cash(api_client, portfolio):
    body = api_client.get(f"{PF}alice_001/").json()
    assert body["owner"] == "alice" and Decimal(body["cash"]) == Decimal(85000)
    assert [(p["symbol"], Decimal(p["quantity"]), Decimal(p["average_cost"])) for p in body["positions"]] == [
        ("AAPL", Decimal(100), Decimal(150))
    ]
    positions = api_client.get(f"{PF}alice_001/positions/").json()
    assert [p["symbol"] for p in positions] == ["AAPL"] and Decimal(positions[0]["cost_value"]) == Decimal(
        15000
    )


def test_someone_elses_portfolio_is_403_and_unknown_is_404(other_client, api_client, portfolio):
    assert other_client.get(f"{PF}alice_001/").status_code == 403
    assert other_client.get(f"{PF}alice_001/positions/").status_code == 403
    assert api_client.get(f"{PF}nope/").status_code == 404


def test_group_members_and_staff_may_view(api_client, other_user, other_client, staff_client, portfolio):
    assert staff_client.get(f"{PF}alice_001/").status_code == 200
    desk = Group.objects.create(name="desk")
    portfolio.group = desk
    portfolio.save()
    assert other_client.get(f"{PF}alice_001/").status_code == 403
    other_user.groups.add(desk)
    assert other_client.get(f"{PF}alice_001/").status_code == 200
    assert [p["code"] for p in other_client.get(PF).json()["results"]] == ["alice_001"]
    # viewing is not booking
    resp = other_client.post(TX, {"portfolio": "alice_001", "type": "deposit", "amount": "1"}, format="json")
    assert resp.status_code == 403


def test_lists_show_only_what_the_caller_may_see(api_client, other_client, staff_client, portfolio, mallorys):
    assert [p["code"] for p in api_client.get(PF).json()["results"]] == ["alice_001"]
    assert [p["code"] for p in other_client.get(PF).json()["results"]] == ["mallory_001"]
    assert [p["code"] for p in staff_client.get(PF).json()["results"]] == ["alice_001", "mallory_001"]
    assert {t["portfolio"] for t in api_client.get(TX).json()["results"]} == {"alice_001"}
    assert api_client.get(TX, {"portfolio": "mallory_001"}).json()["count"] == 0


def test_create_portfolio_sets_owner(api_client, user, instruments):
    resp = api_client.post(
        PF,
        {
            "code": "alice_002",
            "name": "Second",
            "benchmark": "spy",
            "initial_cash": "2500.5",
            "long_only": False,
        },
        format="json",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (
        body["owner"] == "alice" and body["benchmark"] == "SPY" and Decimal(body["cash"]) == Decimal("2500.5")
    )
    assert body["long_only"] is False
    assert api_client.post(PF, {"code": "alice_002", "name": "dup"}, format="json").json().keys() == {"code"}
    assert "code" in api_client.post(PF, {"code": "Has Spaces", "name": "x"}, format="json").json()
    assert (
        "benchmark"
        in api_client.post(PF, {"code": "p3", "name": "x", "benchmark": "NOPE"}, format="json").json()
    )
    assert (
        "group" in api_client.post(PF, {"code": "p4", "name": "x", "group": "not-mine"}, format="json").json()
    )


def test_book_a_trade(api_client, user, portfolio):
    resp = api_client.post(
        TX,
        {
            "portfolio": "alice_001",
            "symbol": "msft",
            "type": "buy",
            "quantity": "10",
            "price": "400.25",
            "fees": "1",
            "timestamp": "2024-03-01T14:30:00Z",
        },
        format="json",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (
        body["symbol"] == "MSFT"
        and body["created_by"] == "alice"
        and body["timestamp"].startswith("2024-03-01T14:30")
    )
    pos = Position.objects.get(portfolio=portfolio, instrument__symbol="MSFT")
    assert (pos.quantity, pos.average_cost) == (Decimal(10), Decimal("400.25"))
    portfolio.refresh_from_db()
    assert portfolio.cash == Decimal(85000) - Decimal("4002.5") - Decimal(1)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"symbol": "AAPL", "type": "buy", "quantity": "-5", "price": "1"}, "quantity"),
        ({"symbol": "NOPE", "type": "buy", "quantity": "5", "price": "1"}, "symbol"),
        ({"type": "buy", "quantity": "5", "price": "1"}, "symbol"),
        ({"symbol": "AAPL", "type": "sell", "quantity": "101", "price": "1"}, "quantity"),
        ({"symbol": "AAPL", "type": "buy", "quantity": "abc", "price": "1"}, "quantity"),
        ({"symbol": "AAPL", "type": "short", "quantity": "1", "price": "1"}, "type"),
        ({"type": "withdrawal", "amount": "1000000"}, "amount"),
        ({"type": "deposit"}, "amount"),
    ],
)
def test_bad_bookings_are_400_with_the_field(api_client, portfolio, body, field):
    count = Transaction.objects.count()
    resp = api_client.post(TX, {"portfolio": "alice_001", **body}, format="json")
    assert resp.status_code == 400
    assert field in resp.json(), resp.json()
    assert Transaction.objects.count() == count


def test_unknown_portfolio_is_400_and_someone_elses_is_403(api_client, other_client, portfolio):
    resp = api_client.post(TX, {"portfolio": "nope", "type": "deposit", "amount": "1"}, format="json")
    assert resp.status_code == 400 and "portfolio" in resp.json()
    # 403 even when the rest of the body is also wrong
    resp = other_client.post(TX, {"portfolio": "alice_001", "type": "buy", "quantity": "-1"}, format="json")
    assert resp.status_code == 403


def test_staff_may_book_to_any_portfolio(staff_client, portfolio):
    resp = staff_client.post(TX, {"portfolio": "alice_001", "type": "deposit", "amount": "10"}, format="json")
    assert resp.status_code == 201


def test_transaction_list_filters_and_paginates(api_client, portfolio):
    import datetime as dt

    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for i in range(6):
        transaction_record(
            portfolio=portfolio,
            type="buy",
            instrument="MSFT" if i % 2 else "JPM",
            quantity=Decimal(1),
            price=Decimal(10),
            timestamp=t0 + dt.timedelta(days=i),
        )

    def ids(**q):
        return [(t["symbol"], t["timestamp"][:10]) for t in api_client.get(TX, q).json()["results"]]

    assert ids(symbol="msft") == [("MSFT", "2024-01-06"), ("MSFT", "2024-01-04"), ("MSFT", "2024-01-02")]
    assert ids(start="2024-01-03T00:00:00Z", end="2024-01-05T00:00:00Z") == [
        ("MSFT", "2024-01-04"),
        ("JPM", "2024-01-03"),
    ]
    assert len(ids(type="deposit")) == 1 and len(ids(type="buy")) == 7
    assert len(ids(portfolio="alice_001")) == 8
    page = api_client.get(TX, {"limit": 3, "offset": 3, "ordering": "timestamp"}).json()
    assert page["count"] == 8 and len(page["results"]) == 3 and page["next"] and page["previous"]
    assert api_client.get(TX, {"start": "not-a-date"}).status_code == 400
