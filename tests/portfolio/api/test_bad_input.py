"""Values that used to poison the book of record: money beyond its column, timestamps in year 1 or
9999, symbols with control characters; and `book_check`, which finds and repairs such rows."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from apps.portfolio.models import Portfolio, Position, Transaction
from apps.portfolio.services import portfolio_create, transaction_record

pytestmark = pytest.mark.django_db
PF = "/api/portfolio/portfolios/"
TX = "/api/portfolio/transactions/"


def _book(portfolio) -> tuple:
    portfolio.refresh_from_db()
    return (
        Transaction.objects.count(),
        portfolio.cash,
        list(Position.objects.values_list("quantity", flat=True)),
    )


# --- money ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        ({"type": "deposit", "amount": "99999999999999999999"}, "amount"),  # 20 digits
        ({"type": "deposit", "amount": "999999999999999999999"}, "amount"),  # 21: beyond the column
        ({"type": "deposit", "amount": "1e20"}, "amount"),
        ({"type": "deposit", "amount": "1000000000000000.01"}, "amount"),  # just above 1e15
        ({"type": "withdrawal", "amount": "1e16"}, "amount"),
        ({"type": "fee", "amount": "5", "fees": "1e16"}, "fees"),
        ({"type": "buy", "symbol": "AAPL", "quantity": "1e16", "price": "1"}, "quantity"),
        ({"type": "buy", "symbol": "AAPL", "quantity": "1", "price": "1e16"}, "price"),
        ({"type": "buy", "symbol": "AAPL", "quantity": "1e15", "price": "1e15"}, "quantity"),  # cash 1e30
        ({"type": "deposit", "amount": "Infinity"}, "amount"),
        ({"type": "deposit", "amount": "NaN"}, "amount"),
    ],
)
def test_money_that_does_not_fit_is_a_400_naming_the_field_and_books_nothing(
    api_client, portfolio, body, field
):
    before = _book(portfolio)
    resp = api_client.post(TX, {"portfolio": "alice_001", **body}, format="json")
    assert resp.status_code == 400
    assert field in resp.json()
    assert _book(portfolio) == before
    # ... and every read of the book still answers.
    for url in (PF, f"{PF}alice_001/", f"{PF}alice_001/positions/", TX):
        assert api_client.get(url).status_code == 200, url


def test_the_largest_amount_is_booked_and_read_back_exactly(api_client, portfolio):
    resp = api_client.post(TX, {"portfolio": "alice_001", "type": "deposit", "amount": "1e15"}, format="json")
    assert resp.status_code == 201 and D(resp.json()["amount"]) == D("1e15")
    assert D(api_client.get(f"{PF}alice_001/").json()["cash"]) == D("1e15") + D(85000)


def test_cash_that_would_overflow_its_column_is_refused_in_the_service(user, instruments):
    p = portfolio_create(code="big", name="Big", owner=user, long_only=False)
    for _ in range(3):
        transaction_record(portfolio=p, type="deposit", amount=D("1e15"))
    # Quantity and price fit alone; the cash the buy would leave (3e15 - 2e20) does not fit numeric(28, 8).
    with pytest.raises(ValidationError) as err:
        transaction_record(portfolio=p, type="buy", instrument="AAPL", quantity=D("2e5"), price=D("1e15"))
    assert "quantity" in err.value.message_dict
    p.refresh_from_db()
    assert p.cash == D("3e15") and not Position.objects.filter(portfolio=p).exists()


def test_a_position_read_survives_the_largest_quantity_times_cost(api_client, user, instruments):
    p = portfolio_create(code="wide", name="Wide", owner=user, long_only=False)
    transaction_record(portfolio=p, type="sell", instrument="AAPL", quantity=D("1e15"), price=D("0.0001"))
    Position.objects.filter(portfolio=p).update(average_cost=D("99999999999999999.9999999999"))
    resp = api_client.get(f"{PF}wide/positions/")
    assert resp.status_code == 200
    assert D(resp.json()[0]["cost_value"]) == D("-1e15") * D("99999999999999999.9999999999")


def test_initial_cash_beyond_the_bound_is_a_400(api_client, instruments):
    resp = api_client.post(PF, {"code": "n1", "name": "N", "initial_cash": "1e16"}, format="json")
    assert resp.status_code == 400 and "initial_cash" in resp.json()
    assert not Portfolio.objects.filter(code="n1").exists()


# --- timestamps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "1899-12-31T23:59:59Z", "2200-01-01T00:00:01Z"]
)
def test_a_booking_outside_1900_2200_is_a_400_naming_timestamp(api_client, portfolio, stamp):
    before = _book(portfolio)
    body = {"portfolio": "alice_001", "type": "deposit", "amount": "10", "timestamp": stamp}
    resp = api_client.post(TX, body, format="json")
    assert resp.status_code == 400 and "timestamp" in resp.json()
    assert _book(portfolio) == before


def test_the_service_refuses_timestamps_outside_the_range_for_every_writer(portfolio):
    for when in (dt.datetime(1, 1, 1, tzinfo=dt.UTC), dt.datetime(9999, 12, 31, tzinfo=dt.UTC)):
        with pytest.raises(ValidationError) as err:
            transaction_record(portfolio=portfolio, type="deposit", amount=D(1), timestamp=when)
        assert "timestamp" in err.value.message_dict
    edge = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
    assert (
        transaction_record(portfolio=portfolio, type="deposit", amount=D(1), timestamp=edge).timestamp == edge
    )


@pytest.mark.parametrize("param", ["start", "end"])
def test_transaction_filters_outside_the_range_are_a_400(api_client, portfolio, param):
    resp = api_client.get(TX, {param: "0001-01-01T00:00:00Z"})
    assert resp.status_code == 400 and param in resp.json()


# --- symbols --------------------------------------------------------------------------------------


@pytest.mark.parametrize("symbol", ["AA\x01PL", "AAPL\u200b", "AA\tPL"])
def test_symbols_with_control_characters_are_refused(api_client, portfolio, symbol):
    body = {"portfolio": "alice_001", "type": "buy", "symbol": symbol, "quantity": "1", "price": "1"}
    resp = api_client.post(TX, body, format="json")
    assert resp.status_code == 400 and "symbol" in resp.json()
    assert api_client.get(TX, {"symbol": symbol}).status_code == 400
    resp = api_client.post(PF, {"code": "b1", "name": "B", "benchmark": symbol}, format="json")
    assert resp.status_code == 400 and "benchmark" in resp.json()


# --- book_check -----------------------------------------------------------------------------------


def _run(*args) -> list[dict]:
    out = StringIO()
    call_command("book_check", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]


def test_book_check_finds_and_repairs_a_transaction_dated_year_1(portfolio):
    bad = Transaction.objects.create(
        portfolio=portfolio, type="deposit", amount=D(500), timestamp=dt.datetime(1, 1, 1, tzinfo=dt.UTC)
    )
    Portfolio.objects.filter(pk=portfolio.pk).update(cash=D(85500))
    with pytest.raises(CommandError, match="1 bad row"):
        _run()
    [row] = _run("--fix")
    assert (row["model"], row["pk"], row["field"]) == ("transaction", bad.pk, "timestamp")
    assert row["value"].startswith("0001-01-01")
    portfolio.refresh_from_db()
    assert not Transaction.objects.filter(pk=bad.pk).exists()
    assert portfolio.cash == D(100000) - D(100) * D(150)  # the deposit and the buy that remain
    assert _run() == []


def test_book_check_repairs_money_a_looser_column_let_in(api_client, portfolio):
    """A `numeric` without precision (or SQLite's float) holds what numeric(28, 8) refuses; one such
    row made the book's reads answer 500 for everyone."""
    table = connection.ops.quote_name(Transaction._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending before DDL
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN amount TYPE numeric")
        cursor.execute(
            f"UPDATE {table} SET amount = %s WHERE portfolio_id = %s AND type = 'deposit'",
            [D("1234567890123456789012345"), portfolio.pk],
        )
    api_client.raise_request_exception = False
    assert api_client.get(TX).status_code == 500  # what the bad row does to the book's reads
    [row] = _run("--fix")
    assert (row["model"], row["field"], row["value"]) == (
        "transaction",
        "amount",
        "1234567890123456789012345",
    )
    portfolio.refresh_from_db()
    assert portfolio.cash == D(-15000)  # the buy alone remains
    assert api_client.get(TX).status_code == 200
    assert api_client.get(f"{PF}alice_001/").status_code == 200
