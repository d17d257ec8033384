"""apps.risk.facade: the pre-trade check, limit utilization and open breaches other engines read,
compared with the API's answers for the same book and orders."""

from __future__ import annotations

import pytest

from apps.risk import facade
from apps.risk.services.monitor import monitor_run
from tests.risk.api.test_checks import book, check  # noqa: F401 - the fixture and the API call
from tests.risk.conftest import make_limit

pytestmark = pytest.mark.django_db

ORDERS = [
    facade.Order(symbol="AAA", side="buy", quantity=50),
    facade.Order(symbol="bbb", side="sell", quantity=10, price=21.0),
]
ORDERS_BODY = [
    {"symbol": "AAA", "side": "buy", "quantity": 50},
    {"symbol": "BBB", "side": "sell", "quantity": 10, "price": 21.0},
]


def _limits(book):  # noqa: F811 - the fixture's book
    make_limit(book, limit_type="gross_exposure", warn_threshold=1500, breach_threshold=3000)
    make_limit(book, limit_type="max_position", breach_threshold=1200)
    make_limit(book, limit_type="leverage", unit="ratio", breach_threshold=2.0)
    make_limit(book, limit_type="turnover_limit", breach_threshold=100_000)


def test_pre_trade_check_answers_as_the_api(book, api_client):  # noqa: F811
    _limits(book)
    doc = check(api_client, {"orders": ORDERS_BODY}).json()
    result = facade.pre_trade_check(book.pk, ORDERS)
    assert doc["verdict"] == "reject"  # AAA 150 × 10 = 1500 > 1200: the buy causes a breach
    assert (result.verdict, result.approved, result.errors) == ("reject", False, ())
    assert (result.portfolio, result.reasons) == ("chk", tuple(doc["reasons"]))
    assert (result.nav_before, result.nav) == (doc["nav_before"], doc["nav"])
    assert len(result.limits) == len(doc["limits"]) == 4
    for got, want in zip(result.limits, doc["limits"], strict=True):
        assert (got.limit_id, got.limit_type, got.scope, got.breach_threshold) == (
            want["id"],
            want["limit_type"],
            want["scope"],
            want["breach_threshold"],
        )
        assert (got.status_before, got.value_before, got.utilization_before) == (
            want["before"]["status"],
            want["before"]["value"],
            want["before"]["utilization"],
        )
        assert (got.status, got.value, got.utilization, got.bucket, got.breach_probability) == (
            want["after"]["status"],
            want["after"]["value"],
            want["after"]["utilization"],
            want["after"]["bucket"],
            want["after"]["breach_probability"],
        )
    # A small sell passes: it reduces every exposure.
    small = facade.pre_trade_check(book.pk, [facade.Order(symbol="AAA", side="sell", quantity=1)])
    api = check(api_client, {"orders": [{"symbol": "AAA", "side": "sell", "quantity": 1}]}).json()
    assert (small.verdict, small.approved) == (api["verdict"], api["verdict"] != "reject")
    assert small.approved


def test_a_bad_order_is_a_result_with_errors(book, api_client):  # noqa: F811
    _limits(book)
    unknown = facade.pre_trade_check(book.pk, [facade.Order(symbol="NOPE", side="buy", quantity=1)])
    api = check(api_client, {"orders": [{"symbol": "NOPE", "side": "buy", "quantity": 1}]})
    assert api.status_code == 400
    assert (unknown.approved, unknown.limits) == (False, ())
    assert unknown.errors == tuple(api.json()["orders"])
    bad = facade.pre_trade_check(
        book.pk,
        [facade.Order(symbol="AAA", side="hold", quantity=-1), facade.Order("BBB", "buy", 1, price=0.0)],
    )
    assert not bad.approved and len(bad.errors) == 3
    assert (
        check(api_client, {"orders": [{"symbol": "AAA", "side": "buy", "quantity": -1}]}).status_code == 400
    )
    with pytest.raises(facade.UnknownPortfolio):
        facade.pre_trade_check(10**9, ORDERS)
    with pytest.raises(ValueError):
        facade.limit_utilization(10**9)


def test_limit_utilization_answers_as_the_api(book, api_client):  # noqa: F811
    _limits(book)
    doc = check(api_client).json()
    rows = facade.limit_utilization(book.pk)
    assert [(r.limit_id, r.status, r.value, r.utilization, r.bucket) for r in rows] == [
        (x["id"], x["after"]["status"], x["after"]["value"], x["after"]["utilization"], x["after"]["bucket"])
        for x in doc["limits"]
    ]
    assert {r.limit_type: r.status for r in rows}["gross_exposure"] == "warn"  # 1600 of warn 1500


def test_open_breaches_answers_as_the_api(book, api_client, django_capture_on_commit_callbacks):  # noqa: F811
    _limits(book)
    assert facade.open_breaches(book.pk) == ()
    with django_capture_on_commit_callbacks(execute=True):
        monitor_run(force=True)
    listed = api_client.get("/api/risk/breaches/chk", {"active": "true"}).json()["results"]
    got = facade.open_breaches(book.pk)
    assert len(got) == len(listed) == 1  # gross exposure at warn
    assert sorted((b.breach_id, b.limit_id, b.status, b.level) for b in got) == sorted(
        (x["id"], x["limit"], x["status"], x["level"]) for x in listed
    )
    assert got[0].limit_type == "gross_exposure" and got[0].last_utilization == pytest.approx(1600 / 3000)
