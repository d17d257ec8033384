"""The breach and escalation-policy API: listing with filters and pagination, detail, actions with
their permissions and 409s, and policy validation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission

from apps.risk.models import Breach, EscalationPolicy
from tests.risk.breach_factory import (
    T0,
    make_breach,
    make_limit,
    make_policy,
    make_portfolio,
)

pytestmark = pytest.mark.django_db


def grant(user, codename: str) -> None:
    user.user_permissions.add(Permission.objects.get(codename=codename, content_type__app_label="risk"))


@pytest.fixture
def pf(user):
    return make_portfolio("pf_api", owner=user)


@pytest.fixture
def book(pf):
    """Four breaches of pf_api, one per hour from T0, of different status / level / type / severity."""
    hour = dt.timedelta(hours=1)
    lim = [make_limit(pf, scope="instrument", scope_value=f"S{i}") for i in range(4)]
    return {
        "open": make_breach(pf, limit=lim[0], opened_at=T0),
        "ack": make_breach(
            pf, limit=lim[1], opened_at=T0 + hour, status="acknowledged", level="warn", severity="low"
        ),
        "esc": make_breach(
            pf, limit=lim[2], opened_at=T0 + 2 * hour, status="escalated", limit_type="gross_exposure"
        ),
        "done": make_breach(
            pf, limit=lim[3], opened_at=T0 + 3 * hour, status="resolved", resolved_at=T0 + 4 * hour
        ),
    }


def ids(resp) -> list[int]:
    assert resp.status_code == 200, resp.content
    return [row["id"] for row in resp.json()["results"]]


# --- listing ----------------------------------------------------------------------------------------


def test_portfolio_list_newest_first_with_access_rules(api_client, other_client, anon_client, book):
    resp = api_client.get("/api/risk/breaches/pf_api")
    assert ids(resp) == [book[k].pk for k in ("done", "esc", "ack", "open")]
    row = resp.json()["results"][0]
    assert (row["portfolio"], row["status"], row["active"]) == ("pf_api", "resolved", False)
    assert other_client.get("/api/risk/breaches/pf_api").status_code == 403
    assert api_client.get("/api/risk/breaches/nope").status_code == 404
    assert anon_client.get("/api/risk/breaches/pf_api").status_code in (401, 403)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", ["open"]),
        ("status=open&status=escalated", ["esc", "open"]),
        ("status=open,acknowledged", ["ack", "open"]),
        ("level=warn", ["ack"]),
        ("type=gross_exposure", ["esc"]),
        ("severity=low", ["ack"]),
        ("active=true", ["esc", "ack", "open"]),
        ("active=false", ["done"]),
        # opened_at in [since, until): T0+1h is in, T0+3h is out.
        ("since=2024-03-01T13:00:00Z&until=2024-03-01T15:00:00Z", ["esc", "ack"]),
        ("since=2024-03-01T14:00:00Z&active=true", ["esc"]),
    ],
)
def test_portfolio_list_filters(api_client, book, query, expected):
    assert ids(api_client.get(f"/api/risk/breaches/pf_api?{query}")) == [book[k].pk for k in expected]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=closed", "status"),
        ("level=huge", "level"),
        ("type=nonsense", "type"),
        ("severity=extreme", "severity"),
        ("active=maybe", "active"),
        ("since=yesterday", "since"),
        ("since=2024-03-02T00:00:00Z&until=2024-03-01T00:00:00Z", "until"),
    ],
)
def test_bad_filters_are_400_by_field(api_client, book, query, field):
    resp = api_client.get(f"/api/risk/breaches/pf_api?{query}")
    assert resp.status_code == 400
    assert field in resp.json()


def test_list_is_paginated(api_client, book):
    resp = api_client.get("/api/risk/breaches/pf_api?limit=2&offset=1")
    body = resp.json()
    assert body["count"] == 4
    assert ids(resp) == [book["esc"].pk, book["ack"].pk]
    assert body["next"] and body["previous"]


def test_all_breaches_the_caller_can_view(user, other_user, api_client, other_client, staff_client, pf):
    desk = Group.objects.create(name="desk")
    user.groups.add(desk)
    shared = make_portfolio("pf_shared", owner=other_user, group=desk)
    private = make_portfolio("pf_private", owner=other_user)
    mine, theirs_shared, theirs_private = make_breach(pf), make_breach(shared), make_breach(private)

    assert sorted(ids(api_client.get("/api/risk/breaches"))) == sorted([mine.pk, theirs_shared.pk])
    assert sorted(ids(other_client.get("/api/risk/breaches"))) == sorted(
        [theirs_shared.pk, theirs_private.pk]
    )
    assert sorted(ids(staff_client.get("/api/risk/breaches?active=true"))) == sorted(
        [mine.pk, theirs_shared.pk, theirs_private.pk]
    )
    assert api_client.get("/api/risk/breaches?status=bogus").status_code == 400


# --- detail and actions -----------------------------------------------------------------------------


def test_detail_has_events_and_deliveries(user, api_client, other_client, staff_client, pf):
    make_policy("desk", [{"level": 1, "delay_seconds": 60, "channels": ["bus"]}], is_default=True)
    breach = make_breach(pf)
    assert (
        staff_client.post(
            f"/api/risk/breach/{breach.pk}/escalate", {"note": "now"}, format="json"
        ).status_code
        == 200
    )

    body = api_client.get(f"/api/risk/breach/{breach.pk}").json()
    assert (body["status"], body["escalation_level"], body["escalated_by"]) == ("escalated", 1, "ops")
    assert [(e["action"], e["by"], e["detail"]["level"]) for e in body["events"]] == [("escalated", "ops", 1)]
    assert [(d["level"], d["channel"], d["target"]) for d in body["deliveries"]] == [
        (1, "bus", "risk.alerts.pf_api")
    ]
    assert other_client.get(f"/api/risk/breach/{breach.pk}").status_code == 403
    assert api_client.get("/api/risk/breach/999999").status_code == 404


def test_actions_need_change_breach_or_staff(user, api_client, other_user, other_client, pf):
    breach = make_breach(pf)
    url = f"/api/risk/breach/{breach.pk}/acknowledge"
    assert api_client.post(url).status_code == 403  # can view, may not act
    grant(other_user, "change_breach")
    assert other_client.post(url).status_code == 403  # may act, cannot view this portfolio
    grant(user, "change_breach")
    resp = api_client.post(url, {"note": "mine"}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["status"], body["acknowledged_by"], body["note"]) == ("acknowledged", "alice", "mine")
    assert body["acknowledged_at"] is not None
    assert [e["action"] for e in body["events"]] == ["acknowledged"]


def test_invalid_transitions_are_409_with_a_reason(staff_client, pf):
    breach = make_breach(pf)
    base = f"/api/risk/breach/{breach.pk}"
    assert staff_client.post(f"{base}/acknowledge").status_code == 200
    twice = staff_client.post(f"{base}/acknowledge")
    assert twice.status_code == 409
    assert twice.json()["status"] == "acknowledged"
    no_policy = staff_client.post(f"{base}/escalate")
    assert no_policy.status_code == 409 and "policy" in no_policy.json()["detail"]
    assert staff_client.post(f"{base}/resolve", {"note": "flat"}, format="json").status_code == 200
    for action in ("acknowledge", "escalate", "resolve"):
        resp = staff_client.post(f"{base}/{action}")
        assert resp.status_code == 409
        assert "resolved" in resp.json()["detail"]
    resp = staff_client.post(f"{base}/note", {"note": "post-mortem"}, format="json")
    assert resp.status_code == 409
    assert Breach.objects.get(pk=breach.pk).note == "flat"


def test_note_validation_and_unknown_ids(staff_client, pf):
    breach = make_breach(pf)
    assert staff_client.post(f"/api/risk/breach/{breach.pk}/note", {}, format="json").status_code == 400
    resp = staff_client.post(f"/api/risk/breach/{breach.pk}/note", {"note": ""}, format="json")
    assert resp.status_code == 400 and "note" in resp.json()
    resp = staff_client.post(f"/api/risk/breach/{breach.pk}/note", {"note": "x" * 4001}, format="json")
    assert resp.status_code == 400 and "note" in resp.json()
    resp = staff_client.post(f"/api/risk/breach/{breach.pk}/note", {"note": "checked"}, format="json")
    assert resp.status_code == 200 and resp.json()["note"] == "checked"
    for action in ("acknowledge", "escalate", "resolve", "note"):
        assert (
            staff_client.post(f"/api/risk/breach/424242/{action}", {"note": "x"}, format="json").status_code
            == 404
        )


# --- escalation policies ----------------------------------------------------------------------------

POLICY = {
    "name": "desk",
    "description": "trading desk",
    "is_default": True,
    "levels": [
        {"level": 2, "delay_seconds": 300, "channels": ["email", "webhook"], "emails": "head@desk.test, cro@desk.test",
         "webhook_url": "https://hooks.desk.test/risk"},
        {"level": 1, "delay_seconds": 30, "channels": ["bus"]},
    ],
}  # fmt: skip


def test_policy_create_read_update_delete(staff_client, api_client):
    resp = staff_client.post("/api/risk/escalation-policies", POLICY, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    pid = body["id"]
    assert body["is_default"] is True
    assert body["levels"] == [
        {"level": 1, "delay_seconds": 30, "channels": ["bus"], "emails": [], "webhook_url": ""},
        {
            "level": 2,
            "delay_seconds": 300,
            "channels": ["email", "webhook"],
            "emails": ["head@desk.test", "cro@desk.test"],
            "webhook_url": "https://hooks.desk.test/risk",
        },
    ]
    assert [p["name"] for p in api_client.get("/api/risk/escalation-policies").json()["results"]] == ["desk"]
    assert api_client.get(f"/api/risk/escalation-policies/{pid}").json()["name"] == "desk"

    resp = staff_client.patch(
        f"/api/risk/escalation-policies/{pid}",
        {"levels": [{"level": 1, "delay_seconds": 10, "channels": ["email"], "emails": ["a@desk.test"]}]},
        format="json",
    )
    assert resp.status_code == 200, resp.content
    assert [(lv["level"], lv["emails"]) for lv in resp.json()["levels"]] == [(1, ["a@desk.test"])]
    resp = staff_client.patch(f"/api/risk/escalation-policies/{pid}", {"description": "x"}, format="json")
    assert resp.json()["description"] == "x" and len(resp.json()["levels"]) == 1
    assert resp.json()["is_default"] is True  # untouched by a PATCH that does not name it
    resp = staff_client.patch(
        f"/api/risk/escalation-policies/{pid}", {"levels": [{"channels": ["bus"]}]}, format="json"
    )
    assert resp.status_code == 400 and "levels" in resp.json()  # a level is always given whole
    resp = staff_client.patch(f"/api/risk/escalation-policies/{pid}", {"levels": []}, format="json")
    assert resp.status_code == 400 and "levels" in resp.json()

    assert staff_client.delete(f"/api/risk/escalation-policies/{pid}").status_code == 204
    assert api_client.get(f"/api/risk/escalation-policies/{pid}").status_code == 404
    assert staff_client.delete(f"/api/risk/escalation-policies/{pid}").status_code == 404
    assert staff_client.patch(f"/api/risk/escalation-policies/{pid}", {}, format="json").status_code == 404


def test_policy_writes_need_staff_or_change_permission(user, api_client):
    assert api_client.post("/api/risk/escalation-policies", POLICY, format="json").status_code == 403
    grant(user, "change_escalationpolicy")
    assert api_client.post("/api/risk/escalation-policies", POLICY, format="json").status_code == 201


def test_a_new_default_demotes_the_old_one(staff_client):
    old = make_policy("old", [{"level": 1, "delay_seconds": 0, "channels": ["bus"]}], is_default=True)
    assert staff_client.post("/api/risk/escalation-policies", POLICY, format="json").status_code == 201
    assert list(EscalationPolicy.objects.filter(is_default=True).values_list("name", flat=True)) == ["desk"]
    old.refresh_from_db()
    assert old.is_default is False


def _with_levels(levels):
    return {"name": "bad", "levels": levels}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_with_levels([{"level": 1, "delay_seconds": 0, "channels": ["sms"]}]), "levels"),
        (_with_levels([{"level": 1, "delay_seconds": 0, "channels": []}]), "levels"),
        (_with_levels([{"level": 1, "delay_seconds": 0, "channels": ["bus", "bus"]}]), "levels"),
        (_with_levels([{"level": 1, "delay_seconds": 0, "channels": ["email"]}]), "levels"),
        (_with_levels([{"level": 1, "delay_seconds": 0, "channels": ["email"], "emails": "not-an-email"}]), "levels"),
        (_with_levels([{"level": 1, "delay_seconds": 0, "channels": ["webhook"]}]), "levels"),
        (_with_levels([{"level": 1, "delay_seconds": 0, "channels": ["webhook"], "webhook_url": "ftp://x.test/"}]),
         "levels"),
        (_with_levels([{"level": 1, "delay_seconds": -1, "channels": ["bus"]}]), "levels"),
        (_with_levels([{"level": 1, "delay_seconds": 0, "channels": ["bus"]},
                       {"level": 3, "delay_seconds": 5, "channels": ["bus"]}]), "levels"),
        (_with_levels([{"level": 1, "delay_seconds": 60, "channels": ["bus"]},
                       {"level": 2, "delay_seconds": 30, "channels": ["bus"]}]), "levels"),
        (_with_levels([]), "levels"),
        ({"levels": [{"level": 1, "delay_seconds": 0, "channels": ["bus"]}]}, "name"),
    ],
)  # fmt: skip
def test_bad_policies_are_400_by_field(staff_client, body, field):
    resp = staff_client.post("/api/risk/escalation-policies", body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()
    assert not EscalationPolicy.objects.exists()


def test_duplicate_policy_name_is_400(staff_client):
    assert staff_client.post("/api/risk/escalation-policies", POLICY, format="json").status_code == 201
    resp = staff_client.post("/api/risk/escalation-policies", POLICY, format="json")
    assert resp.status_code == 400 and "name" in resp.json()
