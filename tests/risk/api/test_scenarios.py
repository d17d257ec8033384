"""GET/POST /api/risk/scenarios and GET/PATCH/DELETE /api/risk/scenarios/{id}: validation of shocks
and windows (400 by field), write permissions (staff or the model permission), and the
`risk_scenarios_seed` management command."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from apps.risk.models import StressScenario
from tests.conftest import _token_client
from tests.risk import fixtures_measures
from tests.risk.conftest import day

pytestmark = pytest.mark.django_db
market = fixtures_measures.market  # the shared fixture, found by pytest under this name
URL = "/api/risk/scenarios"
CRASH = {"name": "Crash", "shocks": {"instrument": {"aaa": -0.3}, "sector": {"Tech": -0.2}}}


def test_staff_creates_reads_changes_and_deletes(staff_client, api_client, staff_user, market):
    res = staff_client.post(URL, CRASH, format="json")
    assert res.status_code == 201, res.content
    created = res.json()
    assert created["kind"] == "shocks" and created["created_by"] == staff_user.username
    assert created["shocks"] == {"instrument": {"AAA": -0.3}, "sector": {"Tech": -0.2}}  # symbols upper-cased
    # Any authenticated user reads them.
    listed = api_client.get(URL).json()
    assert [s["name"] for s in listed] == ["Crash"]
    assert api_client.get(f"{URL}/{created['id']}").json() == created
    # PATCH re-validates the whole scenario.
    res = staff_client.patch(f"{URL}/{created['id']}", {"shocks": {"currency": {"eur": -0.1}}}, format="json")
    assert res.status_code == 200, res.content
    assert res.json()["shocks"] == {"currency": {"EUR": -0.1}} and res.json()["name"] == "Crash"
    # Switching to a historical replay needs a window with stored prices.
    res = staff_client.patch(
        f"{URL}/{created['id']}",
        {"kind": "historical", "window_start": "2024-02-01", "window_end": "2024-03-01T00:00:00Z"},
        format="json",
    )
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["shocks"] == {} and body["window_start"].startswith("2024-02-01")
    assert staff_client.delete(f"{URL}/{created['id']}").status_code == 204
    assert not StressScenario.objects.exists()
    assert staff_client.get(f"{URL}/{created['id']}").status_code == 404


def test_write_permissions(api_client, user, anon_client, market):
    assert anon_client.get(URL).status_code in (401, 403)
    assert api_client.post(URL, CRASH, format="json").status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="add_stressscenario"))
    client = _token_client(type(user).objects.get(pk=user.pk))  # fresh user: no permission cache
    res = client.post(URL, CRASH, format="json")
    assert res.status_code == 201, res.content
    sid = res.json()["id"]
    assert client.patch(f"{URL}/{sid}", {"description": "x"}, format="json").status_code == 403
    assert client.delete(f"{URL}/{sid}").status_code == 403
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_stressscenario", "delete_stressscenario"])
    )
    client = _token_client(type(user).objects.get(pk=user.pk))
    assert client.patch(f"{URL}/{sid}", {"description": "x"}, format="json").status_code == 200
    assert client.delete(f"{URL}/{sid}").status_code == 204
    assert client.patch(f"{URL}/{sid}", {"description": "x"}, format="json").status_code == 404
    assert client.delete(f"{URL}/{sid}").status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"shocks": {"sector": {"Tech": -0.1}}}, "name"),
        ({"name": "  ", "shocks": {"sector": {"Tech": -0.1}}}, "name"),
        ({"name": "x", "kind": "monte"}, "kind"),
        ({"name": "x"}, "shocks"),
        ({"name": "x", "shocks": {}}, "shocks"),
        ({"name": "x", "shocks": {"instrument": {"AAA": -1}}}, "shocks"),
        ({"name": "x", "shocks": {"instrument": {"AAA": -1.5}}}, "shocks"),
        ({"name": "x", "shocks": {"sector": {"Tech": 10.5}}}, "shocks"),
        ({"name": "x", "shocks": {"instrument": {"ZZZ": -0.1}}}, "shocks"),
        ({"name": "x", "shocks": {"instrument": {"AAA": None}}}, "shocks"),
        ({"name": "x", "shocks": {"instrument": {"AAA": "1e9"}}}, "shocks"),
        ({"name": "x", "shocks": {"instrument": ["AAA"]}}, "shocks"),
        ({"name": "x", "shocks": {"rates": {"10y": 0.01}}}, "shocks"),
        ({"name": "x", "shocks": {"currency": {"E": -0.1}}}, "shocks"),
        ({"name": "x", "shocks": {"factor": {"NOPE": -0.1}}}, "shocks"),
        ({"name": "x", "shocks": [1, 2]}, "shocks"),
        ({"name": "x", "shocks": {"sector": {"Tech": -0.1}}, "window_start": "2024-02-01"}, "window_start"),
        ({"name": "x", "kind": "historical"}, "window_start"),
        ({"name": "x", "kind": "historical", "window_start": "2024-02-01"}, "window_end"),
        (
            {"name": "x", "kind": "historical", "window_start": "2024-03-01", "window_end": "2024-02-01"},
            "window_end",
        ),
        (
            {"name": "x", "kind": "historical", "window_start": "2024-02-01", "window_end": "2024-02-01"},
            "window_end",
        ),
        (
            {"name": "x", "kind": "historical", "window_start": "soon", "window_end": "2024-02-01"},
            "window_start",
        ),
        (
            {"name": "x", "kind": "historical", "window_start": "2031-01-01", "window_end": "2031-02-01"},
            "window_start",
        ),
        (
            {
                "name": "x",
                "kind": "historical",
                "window_start": "2024-02-01",
                "window_end": "2024-03-01",
                "shocks": {"sector": {"Tech": -0.1}},
            },
            "shocks",
        ),
    ],
)
def test_bad_scenarios_are_400_by_field(staff_client, market, body, field):
    res = staff_client.post(URL, body, format="json")
    assert res.status_code == 400 and field in res.json(), res.content
    assert not StressScenario.objects.exists()


def test_every_shock_problem_is_listed(staff_client, market):
    body = {"name": "x", "shocks": {"instrument": {"ZZZ": -0.1, "AAA": -2}, "sector": {"Tech": "no"}}}
    messages = staff_client.post(URL, body, format="json").json()["shocks"]
    assert len(messages) == 3 and any("ZZZ" in m for m in messages) and any("AAA" in m for m in messages)


def test_names_are_unique_case_insensitively(staff_client, market):
    assert staff_client.post(URL, CRASH, format="json").status_code == 201
    res = staff_client.post(URL, {**CRASH, "name": "crash"}, format="json")
    assert res.status_code == 400 and "name" in res.json()
    other = staff_client.post(URL, {**CRASH, "name": "Other"}, format="json").json()
    res = staff_client.patch(f"{URL}/{other['id']}", {"name": "CRASH"}, format="json")
    assert res.status_code == 400 and "name" in res.json()


def test_factor_shocks_accept_instruments(staff_client, market):
    res = staff_client.post(URL, {"name": "Market -10%", "shocks": {"factor": {"MKT": -0.1}}}, format="json")
    assert res.status_code == 201, res.content


def test_a_stored_historical_scenario_with_a_window(staff_client, market):
    body = {
        "name": "Spring",
        "kind": "historical",
        "window_start": day(30).isoformat(),
        "window_end": "2024-04-30",
    }
    res = staff_client.post(URL, body, format="json")
    assert res.status_code == 201, res.content
    s = StressScenario.objects.get()
    assert s.window_start == day(30) and s.window_end.isoformat().startswith("2024-04-30T00:00:00")


def test_seed_command_creates_the_defaults_and_is_idempotent(market, api_client):
    out = io.StringIO()
    call_command("risk_scenarios_seed", stdout=out)
    names = set(StressScenario.objects.values_list("name", flat=True))
    assert names == {"Equity crash -20%", "USD +10%", "Tech selloff"}
    crash = StressScenario.objects.get(name="Equity crash -20%")
    assert crash.shocks == {"instrument": {s: -0.2 for s in ("AAA", "BBB", "EEE", "MKT")}}
    usd = StressScenario.objects.get(name="USD +10%").shocks["currency"]
    assert usd["USD"] == 0.1 and usd["EUR"] == pytest.approx(1 / 1.1 - 1)
    assert "Tech" in StressScenario.objects.get(name="Tech selloff").shocks["sector"]
    call_command("risk_scenarios_seed", stdout=io.StringIO())
    assert StressScenario.objects.count() == 3
    # The seeded scenarios run: USD +10 % moves only the EUR instrument of a USD book.
    res = api_client.post(
        "/api/risk/stress/pf", {"scenarios": ["USD +10%", "Equity crash -20%"]}, format="json"
    )
    assert res.status_code == 200, res.content
    usd_result, crash_result = res.json()["results"]
    p_e = market.closes["EEE"].iloc[-1]
    assert usd_result["pnl"] == pytest.approx(200 * p_e * 1.15 * (1 / 1.1 - 1), rel=1e-9)
    assert crash_result["pnl"] == pytest.approx(-0.2 * market.values.sum(), rel=1e-12)
