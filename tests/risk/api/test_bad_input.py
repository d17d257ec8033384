"""Hostile values at the risk endpoints (stress, scenarios, limits, check, measures, breaches): each
a 400 naming its field, and nothing stored."""

from __future__ import annotations

import json

import pytest

from apps.risk.models import RiskLimit, StressScenario
from tests.risk.conftest import make_instrument, make_portfolio, store_daily_bars

pytestmark = pytest.mark.django_db
HUGE = 10**400  # a JSON integer Python parses exactly, and float() cannot hold


@pytest.fixture
def pf(user):
    make_instrument("AAA", sector="Tech")
    store_daily_bars("AAA", [10 + 0.1 * i for i in range(60)])
    return make_portfolio("pf1", owner=user, positions={"AAA": 10}, cash=100)


def _post(client, url, body):
    return client.generic("POST", url, json.dumps(body), content_type="application/json")


BAD_INSTANTS = ["2024-02-30", "0001-01-01", "2024-01-01T25:00", "2024-01-01T00:00+99:00", "9999-12-31", "-1"]


@pytest.mark.parametrize("start", BAD_INSTANTS)
def test_stress_with_an_impossible_historical_window_is_a_400(api_client, pf, start):
    resp = _post(api_client, "/api/risk/stress/pf1", {"historical": {"start": start, "end": "2024-02-01"}})
    assert resp.status_code == 400
    assert list(resp.json()["historical"]) == ["start"]


@pytest.mark.parametrize("shock", [HUGE, -HUGE, 1e308])
def test_stress_with_a_huge_shock_is_a_400_naming_shocks(api_client, pf, shock):
    resp = _post(api_client, "/api/risk/stress/pf1", {"shocks": {"instrument": {"AAA": shock}}})
    assert resp.status_code == 400 and list(resp.json()) == ["shocks"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "s1", "shocks": {"instrument": {"AAA": HUGE}}}, "shocks"),
        ({"name": "s2", "shocks": {"factor": {"AAA": HUGE}}}, "shocks"),
        (
            {"name": "h1", "kind": "historical", "window_start": "2024-02-30", "window_end": "2024-03-01"},
            "window_start",
        ),
        (
            {"name": "h2", "kind": "historical", "window_start": "0001-01-01", "window_end": "2024-03-01"},
            "window_start",
        ),
        (
            {"name": "h3", "kind": "historical", "window_start": "2024-01-01", "window_end": "9999-12-31"},
            "window_end",
        ),
    ],
)
def test_a_scenario_with_hostile_values_is_a_400_and_not_stored(staff_client, pf, body, field):
    resp = _post(staff_client, "/api/risk/scenarios", body)
    assert resp.status_code == 400 and field in resp.json()
    assert not StressScenario.objects.exists()


def test_the_scenario_service_refuses_impossible_windows_for_the_admin_too(pf):
    from django.core.exceptions import ValidationError

    from apps.risk.services.scenarios import scenario_create

    for start in ("2024-02-30", "2024-01-01T25:00:00", "0001-01-01"):
        data = {"name": "x", "kind": "historical", "window_start": start, "window_end": "2024-02-01"}
        with pytest.raises(ValidationError) as err:
            scenario_create(data=data)
        assert "window_start" in err.value.message_dict


LIMIT = {"portfolio": "pf1", "limit_type": "drawdown", "unit": "ratio", "breach_threshold": 0.1}


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"window_days": HUGE}, "window_days"),
        ({"window_days": 2**31 - 1}, "window_days"),  # fits the column, not a pandas Timedelta
        ({"window_days": 0}, "window_days"),
        ({"resolve_after_seconds": HUGE}, "resolve_after_seconds"),
        ({"resolve_after_seconds": 2**31}, "resolve_after_seconds"),
        ({"breach_threshold": HUGE}, "breach_threshold"),
        ({"warn_threshold": 1e308}, "warn_threshold"),
        ({"confidence": HUGE}, "confidence"),
        ({"horizon_days": 1e300}, "horizon_days"),
        ({"escalation_policy": HUGE}, "escalation_policy"),
        ({"scope": "instrument", "scope_value": "AA\x01A"}, "scope_value"),
    ],
)
def test_a_limit_with_hostile_values_is_a_400_and_not_stored(staff_client, pf, extra, field):
    resp = _post(staff_client, "/api/risk/limits", {**LIMIT, **extra})
    assert resp.status_code == 400 and field in resp.json()
    assert not RiskLimit.objects.exists()


def test_the_limit_service_reports_a_huge_number_for_the_admin_too(pf):
    from django.core.exceptions import ValidationError

    from apps.risk.services.limits import limit_validate

    with pytest.raises(ValidationError) as err:
        limit_validate({**LIMIT, "window_days": HUGE, "resolve_after_seconds": HUGE})
    assert {"window_days", "resolve_after_seconds"} <= set(err.value.message_dict)


def test_a_limit_at_the_bounds_is_stored(staff_client, pf):
    resp = _post(
        staff_client, "/api/risk/limits", {**LIMIT, "window_days": 36_500, "resolve_after_seconds": 2**31 - 1}
    )
    assert resp.status_code == 201
    assert (resp.json()["window_days"], resp.json()["resolve_after_seconds"]) == (36_500, 2**31 - 1)


@pytest.mark.parametrize(
    "body, path",
    [
        ({"portfolio_value": HUGE}, ["portfolio_value"]),
        ({"positions": [{"symbol": "AAA", "quantity": HUGE}]}, ["positions", "0", "quantity"]),
        (
            {"orders": [{"symbol": "AAA", "side": "buy", "quantity": 1, "price": 1e308}]},
            ["orders", "0", "price"],
        ),
        ({"orders": [{"symbol": "AA\x01A", "side": "buy", "quantity": 1}]}, ["orders", "0", "symbol"]),
    ],
)
def test_check_with_hostile_values_is_a_400_naming_the_path(api_client, pf, body, path):
    resp = _post(api_client, "/api/risk/check/pf1", body)
    assert resp.status_code == 400
    doc = resp.json()
    for key in path:
        doc = doc[key]
    assert doc


def test_check_refuses_orders_in_a_form_instead_of_checking_the_bare_book(api_client, pf):
    form = {"orders": json.dumps([{"symbol": "AAA", "side": "buy", "quantity": 1}])}
    resp = api_client.post("/api/risk/check/pf1", form, format="multipart")
    assert resp.status_code == 400 and list(resp.json()) == ["orders"]


@pytest.mark.parametrize(
    "url, body, field",
    [
        ("/api/risk/var/pf1", {"window": HUGE}, "window"),
        ("/api/risk/var/pf1", {"seed": -1}, "seed"),
        ("/api/risk/var/pf1", {"confidence": HUGE}, "confidence"),
        ("/api/risk/backtest/pf1", {"observations": HUGE}, "observations"),
        (
            "/api/risk/stress/pf1",
            {"shocks": {"instrument": {"AAA": -0.1}}, "beta_window": HUGE},
            "beta_window",
        ),
    ],
)
def test_measure_parameters_beyond_their_range_are_a_400(api_client, pf, url, body, field):
    resp = _post(api_client, url, body)
    assert resp.status_code == 400 and list(resp.json()) == [field]


@pytest.mark.parametrize("param", ["since", "until"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z"])
def test_breach_filters_outside_the_range_are_a_400(api_client, pf, param, value):
    for url in ("/api/risk/breaches", "/api/risk/breaches/pf1"):
        resp = api_client.get(url, {param: value})
        assert resp.status_code == 400 and list(resp.json()) == [param], url
