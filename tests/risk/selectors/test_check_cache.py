"""The check's inputs kept between checks (selectors.check_inputs): a kept answer is the answer read
afresh, and a committed change to the book or the limits is seen by the next check.

Real commits (transactional db): the version tokens are replaced after a commit, and a check inside
a transaction bypasses the cache, so the `db` fixture's never-committed transaction would test
nothing. Every answer is compared with the same request's answer after the caches are emptied."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.portfolio.models import Position, Transaction
from apps.risk.models import RiskLimit
from apps.risk.selectors import book as book_selectors
from tests.risk.conftest import make_instrument, make_limit, make_portfolio, store_daily_bars, store_fx

pytestmark = pytest.mark.django_db(transaction=True)

DAYS = 30
KEPT_TABLES = (RiskLimit._meta.db_table, Position._meta.db_table, Transaction._meta.db_table)


@pytest.fixture
def book(user):
    """cc (USD): AAA 100 × 10, BBB −30 × 20, cash 600; limits of every kind the inputs feed."""
    make_instrument("AAA", sector="Tech", industry="Software")
    make_instrument("BBB", sector="Tech", industry="Hardware")
    make_instrument("EEE", currency="EUR", sector="Energy", industry="Oil")
    store_daily_bars("AAA", [9.0 + 0.05 * i for i in range(DAYS - 1)] + [10.0])
    store_daily_bars("BBB", [20.0 + (0.4 if i % 2 else -0.3) for i in range(DAYS - 1)] + [20.0])
    store_daily_bars("EEE", [50.0] * DAYS)
    store_fx("EUR", "USD", [1.2] * DAYS)
    pf = make_portfolio("cc", owner=user, positions={"AAA": 100, "BBB": -30}, cash=600)
    make_limit(pf, limit_type="gross_exposure", warn_threshold=1500, breach_threshold=3000)
    make_limit(pf, limit_type="turnover_limit", breach_threshold=10_000, window_days=5)
    make_limit(pf, limit_type="max_position", breach_threshold=5_000)
    make_limit(None, limit_type="leverage", unit="ratio", breach_threshold=2.0)  # a global default
    return pf


def _post(client, body=None):
    resp = client.post("/api/risk/check/cc", body or {}, format="json")
    assert resp.status_code == 200, resp.content
    return resp.json()


def _check(client, body=None) -> tuple[dict, list[str]]:
    """The answer and the SQL it ran."""
    with CaptureQueriesContext(connection) as queries:
        doc = _post(client, body)
    return doc, [q["sql"] for q in queries.captured_queries]


def _fresh(client, body=None) -> dict:
    book_selectors.book_cache_clear()
    return _post(client, body)


def _reads_kept_tables(sql: list[str]) -> bool:
    return any(table in q for q in sql for table in KEPT_TABLES)


def _by_type(doc, limit_type):
    (found,) = [x for x in doc["limits"] if x["limit_type"] == limit_type]
    return found["after"]


ORDERS = {
    "orders": [
        {"symbol": "AAA", "side": "sell", "quantity": 40},
        {"symbol": "EEE", "side": "buy", "quantity": 5},
    ]
}


@pytest.mark.parametrize("body", [None, ORDERS, {"positions": [{"symbol": "AAA", "quantity": 10}]}])
def test_a_kept_answer_is_the_fresh_answer(book, api_client, body):
    book_selectors.book_cache_clear()
    fresh, fresh_sql = _check(api_client, body)  # read, and kept
    kept, kept_sql = _check(api_client, body)
    assert _reads_kept_tables(fresh_sql)
    assert not _reads_kept_tables(kept_sql), kept_sql
    assert kept == fresh
    assert len(kept["limits"]) == 4


def test_a_trade_is_seen_by_the_next_check(book, api_client):
    from apps.portfolio.services import transaction_record

    before, _ = _check(api_client)
    _check(api_client)  # kept
    transaction_record(
        portfolio=book,
        type="buy",
        instrument="AAA",
        quantity=Decimal(50),
        price=Decimal(10),
        timestamp=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
    )
    after, sql = _check(api_client)
    assert _reads_kept_tables(sql)  # the book's token moved: read again
    assert _by_type(after, "max_position")["value"] == pytest.approx(1500.0)  # 150 × 10
    assert _by_type(before, "max_position")["value"] == pytest.approx(1000.0)
    assert _by_type(after, "turnover_limit")["value"] == pytest.approx(500.0)
    assert after["nav"] == before["nav"]  # bought at the close: cash for stock
    assert after == _fresh(api_client)


def test_a_cash_movement_is_seen_by_the_next_check(book, api_client):
    from apps.portfolio.services import transaction_record

    before, _ = _check(api_client)
    transaction_record(portfolio=book, type="deposit", amount=Decimal(400))
    after, _ = _check(api_client)
    assert (before["nav"], after["nav"]) == (1000.0, 1400.0)
    assert after == _fresh(api_client)


def test_limit_changes_are_seen_by_the_next_check(book, api_client, user):
    from apps.risk.services.limits import limit_delete

    _check(api_client)
    _check(api_client)
    gross = RiskLimit.objects.get(portfolio=book, limit_type="gross_exposure")
    gross.breach_threshold = 1600.0  # gross is 1600: at the breach level now
    gross.save()  # a direct ORM save (the admin, a script): post_save moves the token
    doc, _ = _check(api_client)
    assert (_by_type(doc, "gross_exposure")["status"], doc["verdict"]) == ("breach", "reject")
    assert doc == _fresh(api_client)

    limit_delete(limit_id=gross.pk, user=user)  # deletes go through the service
    doc, _ = _check(api_client)
    assert {x["limit_type"] for x in doc["limits"]} == {"turnover_limit", "max_position", "leverage"}

    make_limit(None, limit_type="net_exposure", breach_threshold=100.0)  # a new global default
    doc, _ = _check(api_client)
    assert _by_type(doc, "net_exposure")["value"] == pytest.approx(400.0)  # |1000 − 600|
    assert doc == _fresh(api_client)


def test_without_redis_every_check_reads_the_database(book, api_client, monkeypatch):
    import redis

    from apps.platform import versions

    class Down:
        def mget(self, keys):
            raise redis.ConnectionError("down")

    fresh = _fresh(api_client)
    monkeypatch.setattr(versions, "platform_redis", lambda: Down())
    for _ in range(2):
        doc, sql = _check(api_client)
        assert _reads_kept_tables(sql)
        assert doc == fresh


def test_a_closed_position_is_seen_by_the_next_check(book, api_client):
    """Selling the whole line deletes the position row (no post_save): the service bumps the token."""
    from apps.portfolio.services import transaction_record

    _check(api_client)
    transaction_record(
        portfolio=book, type="sell", instrument="AAA", quantity=Decimal(100), price=Decimal(10)
    )
    doc, _ = _check(api_client)
    assert _by_type(doc, "max_position")["value"] == pytest.approx(600.0)  # only BBB −30 × 20 left
    assert doc == _fresh(api_client)


def test_a_deleted_portfolio_is_not_checked_from_memory(book):
    from django.core.exceptions import ValidationError

    from apps.risk.selectors.check import portfolio_check

    portfolio_check(portfolio=book.pk)
    assert portfolio_check(portfolio=book.pk)["portfolio"] == "cc"  # kept
    pk = book.pk
    book.delete()
    with pytest.raises(ValidationError):
        portfolio_check(portfolio=pk)
