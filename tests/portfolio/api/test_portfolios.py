"""The portfolios API: who sees what (401/403), opening a portfolio, its positions."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db
PF = "/api/portfolio/portfolios/"
TX = "/api/portfolio/transactions/"


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
