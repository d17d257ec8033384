"""Hostile values at the analytics endpoints: each answers 400 naming its field, never a 500 or a
non-finite JSON document, and never a figure silently computed from something else."""

from __future__ import annotations

import json

import pytest

from tests.risk.conftest import make_instrument, make_portfolio, store_daily_bars

pytestmark = pytest.mark.django_db


@pytest.fixture
def pf(user):
    make_instrument("AAA", sector="Tech")
    make_instrument("BBB", sector="Energy")
    store_daily_bars("AAA", [10 + 0.1 * i for i in range(60)])
    store_daily_bars("BBB", [20 - 0.1 * i for i in range(60)])
    return make_portfolio("pf1", owner=user, positions={"AAA": 10, "BBB": 5}, cash=100)


@pytest.mark.parametrize("view", ["performance", "benchmark"])
@pytest.mark.parametrize(
    "param, value",
    [
        ("end", "9999-12-31"),
        ("end", "-1"),
        ("start", "0001-01-01"),
        ("start", "2024-02-30"),
        ("end", "2024-01-01T00:00+99:00"),
        ("benchmark", "AA\x01A"),
        ("window", str(10**400)),
    ],
)
def test_performance_query_out_of_range_is_a_400_naming_it(api_client, pf, view, param, value):
    resp = api_client.get(f"/api/analytics/{view}/pf1", {param: value})
    assert resp.status_code == 400
    assert list(resp.json()) == [param]


@pytest.mark.parametrize("rate", ["NaN", "nan", "Infinity", "-Infinity", "1e309", "1.5", "-2", "\x01"])
def test_risk_free_must_be_a_finite_annual_rate_within_minus_one_and_one(api_client, pf, rate):
    resp = api_client.get("/api/analytics/performance/pf1", {"risk_free": rate})
    assert resp.status_code == 400
    assert list(resp.json()) == ["risk_free"]


def test_a_valid_risk_free_rate_still_moves_sharpe(api_client, pf):
    zero = api_client.get("/api/analytics/performance/pf1", {"risk_free": "0"}).json()
    high = api_client.get("/api/analytics/performance/pf1", {"risk_free": "0.9"}).json()
    assert high["risk_free"] == "0.9"
    assert high["metrics"]["sharpe"] < zero["metrics"]["sharpe"]


@pytest.mark.parametrize("field", ["quantity", "price", "cost_basis"])
@pytest.mark.parametrize("value", [1e308, -1e308, 1e16, 10**400])
def test_calculate_with_a_huge_number_is_a_400_naming_it(api_client, pf, field, value):
    position = {"symbol": "AAA", "quantity": 1.0, field: value}
    if field == "price" and value < 0:
        position[field] = -value
    body = json.dumps({"positions": [position]})
    resp = api_client.generic("POST", "/api/analytics/calculate/pf1", body, content_type="application/json")
    assert resp.status_code == 400
    assert list(resp.json()["positions"]["0"]) == [field]


def test_calculate_at_the_bound_answers_finite_json(api_client, pf):
    body = {"positions": [{"symbol": "AAA", "quantity": 1e15, "price": 1e15, "cost_basis": -1e15}]}
    resp = api_client.post("/api/analytics/calculate/pf1", body, format="json")
    assert resp.status_code == 200
    assert resp.json()["summary"]["market_value"] == pytest.approx(1e30)


@pytest.mark.parametrize("fmt", ["multipart", None])
def test_calculate_refuses_positions_in_a_form_instead_of_using_the_stored_book(api_client, pf, fmt):
    form = {"positions": json.dumps([{"symbol": "AAA", "quantity": 5}])}
    if fmt is None:  # application/x-www-form-urlencoded
        from urllib.parse import urlencode

        resp = api_client.generic(
            "POST",
            "/api/analytics/calculate/pf1",
            urlencode(form),
            content_type="application/x-www-form-urlencoded",
        )
    else:
        resp = api_client.post("/api/analytics/calculate/pf1", form, format=fmt)
    assert resp.status_code == 400
    assert list(resp.json()) == ["positions"]
    # An empty form is still "the stored book".
    assert api_client.post("/api/analytics/calculate/pf1", {}, format="multipart").json()["source"] == "book"


ATTRIBUTION = "/api/analytics/attribution/pf1"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"method": "contribution", "start": "0001-01-01"}, "start"),
        ({"method": "contribution", "end": "9999-12-31"}, "end"),
        (
            {
                "method": "contribution",
                "periods": [{"date": "0001-01-01", "securities": {"AAA": {"weight": 1, "return": 0.1}}}],
            },
            "periods[0].date",
        ),
        (
            {
                "method": "contribution",
                "periods": [
                    {"date": f"2024-01-0{d}", "securities": {"AAA": {"weight": 1e308, "return": 1e308}}}
                    for d in (1, 2)
                ],
            },
            "periods[0].securities.AAA",
        ),
        (
            {
                "method": "contribution",
                "periods": [
                    {"date": f"2024-01-{d:02d}", "securities": {"AAA": {"weight": 1e6, "return": 1e9}}}
                    for d in range(1, 31)
                ],
            },
            "periods",
        ),
        ({"method": "brinson", "benchmark": {"weights": {"AAA": 10**400}}}, "benchmark.weights.AAA"),
        ({"method": "factor", "factors": {"f": {"9999-12-31": 0.1}}}, "factors.f"),
        ({"method": "factor", "factors": {"f": {"2024-01-02": 10**400}}}, "factors.f"),
        (
            {"method": "factor", "factors": {"f": {"2024-01-02": 0.1}}, "returns": {"1066-10-14": 0.1}},
            "returns",
        ),
    ],
)
def test_attribution_with_hostile_values_is_a_400_naming_the_path(api_client, pf, body, field):
    resp = api_client.generic("POST", ATTRIBUTION, json.dumps(body), content_type="application/json")
    assert resp.status_code == 400
    assert field in resp.json()


@pytest.mark.parametrize("param", ["start", "end"])
def test_a_report_window_outside_the_range_is_a_400(api_client, pf, param):
    resp = api_client.post("/api/analytics/reports/pf1", {param: "9999-12-31"}, format="json")
    assert resp.status_code == 400 and list(resp.json()) == [param]
