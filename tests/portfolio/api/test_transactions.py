"""The transactions API: booking (field-level 400s, 403), filtering and pagination."""

from decimal import Decimal

import pytest

from apps.portfolio.models import Position, Transaction
from apps.portfolio.services import transaction_record

pytestmark = pytest.mark.django_db
PF = "/api/portfolio/portfolios/"
TX = "/api/portfolio/transactions/"


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
