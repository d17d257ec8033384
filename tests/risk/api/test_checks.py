"""POST /api/risk/check/{portfolio}: the stored book, ad-hoc positions and pre-trade orders, each
limit before/after with value, utilization, status and breach probability, and the verdict."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.risk.conftest import make_instrument, make_limit, make_portfolio, store_daily_bars, store_fx

pytestmark = pytest.mark.django_db

DAYS = 30
AAA = [9.0 + 0.05 * i for i in range(DAYS - 1)] + [10.0]
BBB = [20.0 + (0.4 if i % 2 else -0.3) for i in range(DAYS - 1)] + [20.0]
EEE = [50.0] * DAYS


@pytest.fixture
def book(user):
    """chk (USD): AAA 100 × 10 = 1000, BBB −30 × 20 = −600, cash 600 → NAV 1000, gross 1600."""
    make_instrument("AAA", sector="Tech", industry="Software")
    make_instrument("BBB", sector="Tech", industry="Hardware")
    make_instrument("EEE", currency="EUR", sector="Energy", industry="Oil")
    store_daily_bars("AAA", AAA)
    store_daily_bars("BBB", BBB)
    store_daily_bars("EEE", EEE)
    store_fx("EUR", "USD", [1.2] * DAYS)
    return make_portfolio("chk", owner=user, positions={"AAA": 100, "BBB": -30}, cash=600)


def check(client, body=None, code="chk"):
    return client.post(f"/api/risk/check/{code}", body or {}, format="json")


def by_type(doc, limit_type):
    (found,) = [x for x in doc["limits"] if x["limit_type"] == limit_type]
    return found


def test_current_book_values_and_verdict(book, api_client):
    make_limit(book, limit_type="gross_exposure", warn_threshold=1500, breach_threshold=3000)
    make_limit(book, limit_type="leverage", unit="ratio", breach_threshold=2.0)
    resp = check(api_client)
    assert resp.status_code == 200, resp.content
    doc = resp.json()
    assert (doc["portfolio"], doc["source"], doc["orders"], doc["nav"]) == ("chk", "book", 0, 1000.0)
    gross = by_type(doc, "gross_exposure")
    assert gross["before"] is None
    # gross = |1000| + |−600| = 1600: above warn 1500, 1600 / 3000 of the breach level.
    assert gross["after"]["value"] == pytest.approx(1600.0)
    assert gross["after"]["utilization"] == pytest.approx(1600 / 3000)
    assert gross["after"]["status"] == "warn"
    lev = by_type(doc, "leverage")["after"]  # 1600 / 1000 = 1.6 of 2.0 → ok
    assert (lev["value"], lev["status"]) == (pytest.approx(1.6), "ok")
    assert doc["verdict"] == "warn"
    assert len(doc["reasons"]) == 1 and doc["reasons"][0].startswith("gross_exposure (portfolio) is at warn")


def test_a_breached_book_without_orders_is_rejected(book, api_client):
    make_limit(book, limit_type="max_position", breach_threshold=900)
    doc = check(api_client).json()
    mp = by_type(doc, "max_position")["after"]
    assert (mp["value"], mp["status"], mp["bucket"]) == (pytest.approx(1000.0), "breach", "AAA")
    assert mp["breach_probability"] == 1.0  # already at the breach level
    assert doc["verdict"] == "reject"


def test_breach_probability_from_the_scenario_volatility(book, api_client):
    make_limit(book, limit_type="gross_exposure", breach_threshold=1620)
    make_limit(book, limit_type="turnover_limit", breach_threshold=10)
    doc = check(api_client).json()
    gross = by_type(doc, "gross_exposure")["after"]
    # σ = std(scenario P&L) / gross, the scenarios being today's values × each day's return.
    pnl = [1000 * (AAA[t] / AAA[t - 1] - 1) - 600 * (BBB[t] / BBB[t - 1] - 1) for t in range(1, DAYS)]
    mean = sum(pnl) / len(pnl)
    sigma = math.sqrt(sum((x - mean) ** 2 for x in pnl) / (len(pnl) - 1)) / 1600
    u = 1600 / 1620

    def phi(z):
        return 0.5 * (1 + math.erf(z / math.sqrt(2)))

    # Driftless geometric first passage to 1 within one day (reflection formula for log u).
    expected = phi((math.log(u) - sigma**2 / 2) / sigma) + u * phi((math.log(u) + sigma**2 / 2) / sigma)
    assert gross["breach_probability"] == pytest.approx(expected, rel=1e-9)
    assert 0.05 < expected < 0.95  # a case where the volatility matters
    assert by_type(doc, "turnover_limit")["after"]["breach_probability"] == 0.0  # only trading moves it


def test_pretrade_order_into_breach_is_rejected(book, api_client):
    make_limit(book, limit_type="max_position", warn_threshold=1200, breach_threshold=1500)
    resp = check(api_client, {"orders": [{"symbol": "aaa", "side": "buy", "quantity": 60}]})
    assert resp.status_code == 200, resp.content
    doc = resp.json()
    mp = by_type(doc, "max_position")
    assert (mp["before"]["value"], mp["before"]["status"]) == (pytest.approx(1000.0), "ok")
    # AAA 160 × 10 = 1600 ≥ 1500.
    assert (mp["after"]["value"], mp["after"]["status"]) == (pytest.approx(1600.0), "breach")
    assert doc["verdict"] == "reject"
    assert "would go into breach" in doc["reasons"][0]
    # Bought at the latest close: cash −600, positions +600, NAV unchanged.
    assert doc["nav_before"] == pytest.approx(1000.0) and doc["nav"] == pytest.approx(1000.0)


@pytest.mark.parametrize(
    ("order", "verdict", "after_value"),
    [
        ({"side": "sell", "quantity": 20}, "pass", 800.0),  # back under the limit
        ({"side": "sell", "quantity": 5}, "warn", 950.0),  # still in breach, but less: not rejected
        ({"side": "buy", "quantity": 5}, "reject", 1050.0),  # a breach made worse
    ],
)
def test_orders_on_a_breached_book(book, api_client, order, verdict, after_value):
    make_limit(book, limit_type="max_position", breach_threshold=900)
    doc = check(api_client, {"orders": [{"symbol": "AAA", **order}]}).json()
    mp = by_type(doc, "max_position")
    assert mp["before"]["status"] == "breach"
    assert mp["after"]["value"] == pytest.approx(after_value)
    assert doc["verdict"] == verdict


def test_order_price_moves_cash_turnover_and_fx(book, api_client):
    make_limit(book, limit_type="turnover_limit", breach_threshold=10_000)
    make_limit(
        book, limit_type="currency_exposure", scope="currency", scope_value="EUR", breach_threshold=1000
    )
    body = {"orders": [{"symbol": "EEE", "side": "buy", "quantity": 10, "price": 55.0}]}
    doc = check(api_client, body).json()
    # Paid 10 × 55 EUR × 1.2 = 660 USD; valued at the close 10 × 50 × 1.2 = 600 → NAV 1000 − 60.
    assert doc["nav"] == pytest.approx(940.0)
    assert by_type(doc, "turnover_limit")["after"]["value"] == pytest.approx(660.0)
    assert by_type(doc, "turnover_limit")["before"]["value"] == pytest.approx(0.0)
    eur = by_type(doc, "currency_exposure")
    assert eur["before"]["value"] == 0.0 and eur["after"]["value"] == pytest.approx(600.0)


def test_adhoc_positions_with_portfolio_value(book, api_client):
    make_limit(book, limit_type="gross_exposure", unit="pct_nav", warn_threshold=0.4, breach_threshold=0.5)
    stored = check(api_client).json()
    assert by_type(stored, "gross_exposure")["after"]["value"] == pytest.approx(1.6)  # 1600 / 1000
    assert stored["verdict"] == "reject"
    body = {"portfolio_value": 1_000_000, "positions": [{"symbol": "AAA", "quantity": 50, "price": 12.0}]}
    doc = check(api_client, body).json()
    assert doc["source"] == "positions" and doc["nav"] == pytest.approx(1_000_000)
    assert by_type(doc, "gross_exposure")["after"]["value"] == pytest.approx(600 / 1_000_000)
    assert doc["verdict"] == "pass" and doc["reasons"] == []
    empty = check(api_client, {"portfolio_value": 1_000_000, "positions": []}).json()  # SPEC's example body
    assert by_type(empty, "gross_exposure")["after"]["value"] == 0.0 and empty["verdict"] == "pass"


def test_portfolio_value_rescales_the_stored_book(book, api_client):
    make_limit(book, limit_type="gross_exposure", unit="pct_nav", breach_threshold=0.5)
    doc = check(api_client, {"portfolio_value": 4000}).json()
    assert doc["nav"] == pytest.approx(4000.0)
    assert by_type(doc, "gross_exposure")["after"]["value"] == pytest.approx(0.4)  # 1600 / 4000


def test_own_limit_overrides_the_global_default_and_absent_buckets_measure_zero(book, api_client):
    default = make_limit(None, limit_type="max_position", breach_threshold=500)
    own = make_limit(book, limit_type="max_position", breach_threshold=5000)
    other_default = make_limit(None, limit_type="net_exposure", breach_threshold=10_000)
    make_limit(
        book, limit_type="sector_concentration", scope="sector", scope_value="Utilities", breach_threshold=1
    )
    make_limit(book, limit_type="gross_exposure", scope="sector", scope_value="tech", breach_threshold=10_000)
    make_limit(book, limit_type="leverage", unit="ratio", breach_threshold=0.1, enabled=False)
    doc = check(api_client).json()
    ids = {x["id"] for x in doc["limits"]}
    assert own.pk in ids and default.pk not in ids and other_default.pk in ids
    assert by_type(doc, "net_exposure")["is_global"] is True
    assert "leverage" not in {x["limit_type"] for x in doc["limits"]}
    util = by_type(doc, "sector_concentration")["after"]
    assert (util["value"], util["status"]) == (0.0, "ok")  # nothing held in Utilities
    assert by_type(doc, "gross_exposure")["after"]["value"] == pytest.approx(1600.0)  # "tech" = Tech
    assert doc["verdict"] == "pass"


def test_missing_history_says_no_data_and_warns(book, api_client):
    make_limit(book, limit_type="fx_risk", breach_threshold=100)  # EEE not held: fx risk 0
    make_limit(book, limit_type="var_limit", breach_threshold=1e6)
    doc = check(api_client, {"orders": [{"symbol": "EEE", "side": "buy", "quantity": 1}]}).json()
    # EURUSD never moved in the stored history: no FX vol → fx_risk cannot be measured once EUR is held.
    assert by_type(doc, "fx_risk")["before"]["status"] == "ok"
    assert by_type(doc, "fx_risk")["after"]["status"] == "no_data"
    assert by_type(doc, "var_limit")["after"]["status"] == "ok"
    assert doc["verdict"] == "warn" and "fx_risk" in doc["reasons"][0]


# --- errors --------------------------------------------------------------------------------------


def test_unknown_portfolio_404_and_someone_elses_403(
    book, api_client, other_client, anon_client, staff_client
):
    assert check(api_client, code="nope").status_code == 404
    assert check(other_client).status_code == 403
    assert check(anon_client).status_code in (401, 403)
    assert check(staff_client).status_code == 200


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"orders": [{"symbol": "NOPE", "side": "buy", "quantity": 1}]}, ["orders"]),
        ({"orders": [{"symbol": "AAA", "side": "hold", "quantity": 1}]}, ["orders", "0", "side"]),
        ({"orders": [{"symbol": "AAA", "side": "buy", "quantity": 0}]}, ["orders", "0", "quantity"]),
        ({"orders": [{"symbol": "AAA", "side": "sell", "quantity": -3}]}, ["orders", "0", "quantity"]),
        (
            {"orders": [{"symbol": "AAA", "side": "buy", "quantity": 1, "price": -1}]},
            ["orders", "0", "price"],
        ),
        ({"orders": [{"side": "buy", "quantity": 1}]}, ["orders", "0", "symbol"]),
        ({"orders": "buy AAA"}, ["orders"]),
        ({"positions": [{"symbol": "NOPE", "quantity": 1}]}, ["positions"]),
        ({"positions": [{"symbol": "AAA", "quantity": 0}]}, ["positions", "0", "quantity"]),
        ({"portfolio_value": -5}, ["portfolio_value"]),
        ({"portfolio_value": "lots"}, ["portfolio_value"]),
        # Sizes that would overflow a float once multiplied (a 500 before the bound existed).
        (
            {"orders": [{"symbol": "AAA", "side": "buy", "quantity": 1e308, "price": 1e308}]},
            ["orders", "0", "quantity"],
        ),
    ],
)
def test_bad_bodies_answer_400_with_the_field(book, api_client, body, path):
    resp = check(api_client, body)
    assert resp.status_code == 400, resp.content
    node = resp.json()
    for key in path:
        assert key in node, (path, resp.json())
        node = node[key]
    assert node  # a message at the end of the path


def test_no_price_available_is_a_400(book, api_client):
    make_instrument("NEW")
    resp = check(api_client, {"orders": [{"symbol": "NEW", "side": "buy", "quantity": 1}]})
    assert resp.status_code == 400
    assert "no price for NEW" in resp.json()["orders"][0]
    resp = check(api_client, {"orders": [{"symbol": "NEW", "side": "buy", "quantity": 2, "price": 7.0}]})
    assert resp.status_code == 200 and resp.json()["nav"] == pytest.approx(1000.0)  # paid 14, worth 14
    resp = check(api_client, {"positions": [{"symbol": "NEW", "quantity": 1}]})
    assert resp.status_code == 400 and "No price for NEW" in resp.json()["positions"][0]


def test_service_is_json_ready(book):
    import json

    from apps.risk.selectors.check import portfolio_check

    make_limit(book, limit_type="var_limit", breach_threshold=100)
    doc = portfolio_check(portfolio="chk", orders=[{"symbol": "AAA", "side": "buy", "quantity": 1.0}])
    json.dumps(doc, allow_nan=False)
    assert np.isfinite(doc["limits"][0]["after"]["value"])


def test_before_and_after_match_checks_of_the_book_as_it_is_and_once_booked(book, api_client):
    """The pre-trade check evaluates before and after in one pass: `before` must equal the check of
    the book as it stands, and `after` the check of the book once the orders are booked at the
    latest close (positions, cash and turnover then come from the stored transactions)."""
    from decimal import Decimal

    from django.utils import timezone

    from apps.portfolio.services import transaction_record

    for limit_type, unit, breach in [
        ("gross_exposure", "absolute", 3000),
        ("net_exposure", "pct_nav", 0.9),
        ("max_position", "absolute", 1500),
        ("concentration_limit", "pct_nav", 2.0),
        ("sector_concentration", "pct_nav", 2.0),
        ("industry_exposure", "absolute", 2000),
        ("short_exposure", "absolute", 1000),
        ("leverage", "ratio", 3.0),
        ("var_limit", "absolute", 100),
        ("expected_shortfall_limit", "absolute", 100),
        ("turnover_limit", "absolute", 1000),
        ("drawdown", "ratio", 0.2),
    ]:
        make_limit(book, limit_type=limit_type, unit=unit, breach_threshold=breach)
    orders = [
        {"symbol": "AAA", "side": "buy", "quantity": 10},
        {"symbol": "BBB", "side": "sell", "quantity": 10},
    ]
    pre = check(api_client, {"orders": orders}).json()
    now = check(api_client).json()
    for symbol, side, price in (("AAA", "buy", AAA[-1]), ("BBB", "sell", BBB[-1])):
        transaction_record(
            portfolio=book,
            type=side,
            instrument=symbol,
            quantity=Decimal(10),
            price=Decimal(str(price)),
            timestamp=timezone.now(),
        )
    booked = check(api_client).json()

    def sides(doc, key):
        return {x["limit_type"]: x[key] for x in doc["limits"]}

    for expected, got in (
        (sides(now, "after"), sides(pre, "before")),
        (sides(booked, "after"), sides(pre, "after")),
    ):
        assert expected.keys() == got.keys() and len(expected) == 12
        for limit_type, side in expected.items():
            assert got[limit_type]["status"] == side["status"], limit_type
            assert got[limit_type]["bucket"] == side["bucket"], limit_type
            for key in ("value", "utilization", "breach_probability"):
                assert got[limit_type][key] == pytest.approx(side[key], rel=1e-9, abs=1e-12), (
                    limit_type,
                    key,
                )
    # The orders did move the book: AAA 110 × 10, BBB −40 × 20, turnover 10 × 10 + 10 × 20.
    assert sides(pre, "after")["gross_exposure"]["value"] == pytest.approx(1900.0)
    assert sides(pre, "after")["turnover_limit"]["value"] == pytest.approx(300.0)
    assert sides(pre, "before")["turnover_limit"]["value"] == pytest.approx(0.0)
