"""The risk admin: limits added, edited (change form and list editing) and deleted there are validated
by the limit service and audited and published like API changes; breaches move through the life-cycle
actions; every risk admin page renders."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.platform import bus
from apps.risk.models import Breach, LimitChange, MonitorState, RiskLimit, StressScenario
from apps.risk.services.limits import limit_create
from tests.risk.breach_factory import make_breach, make_policy
from tests.risk.conftest import make_instrument, make_portfolio

pytestmark = pytest.mark.django_db
LIMITS = "/admin/risk/risklimit/"
BREACHES = "/admin/risk/breach/"


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123")


@pytest.fixture
def admin_http(root):
    c = Client()
    c.force_login(root)
    return c


@pytest.fixture
def pf(user):
    make_instrument("AAPL")
    return make_portfolio("alice_pf", owner=user)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def limit(pf, staff_user):
    return limit_create(
        data={
            "portfolio": "alice_pf",
            "limit_type": "max_position",
            "scope": "instrument",
            "scope_value": "AAPL",
            "warn_threshold": 800.0,
            "breach_threshold": 1000.0,
        },
        user=staff_user,
    )


def _add_form(pf, **over) -> dict:
    data = {
        "portfolio": pf.pk,
        "name": "AAPL cap",
        "limit_type": "max_position",
        "scope": "instrument",
        "scope_value": "aapl",
        "unit": "absolute",
        "warn_threshold": "800",
        "breach_threshold": "1000",
        "severity": "critical",
        "enabled": "on",
        "confidence": "0.99",
        "horizon_days": "1",
        "window_days": "1",
        "resolve_after_seconds": "",
        "escalation_policy": "",
        "_save": "Save",
    }
    return data | over


def _list_edit(limit: RiskLimit, **over) -> dict:
    row = {
        "id": str(limit.pk),
        "warn_threshold": str(limit.warn_threshold),
        "breach_threshold": str(limit.breach_threshold),
        "severity": limit.severity,
        "enabled": "on" if limit.enabled else "",
    } | over
    data = {f"form-0-{k}": v for k, v in row.items() if v != ""}
    return data | {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }


def _events():
    return list(bus.subscribe("risk.limits.*", last_id="0", follow=False))


# --- limits ----------------------------------------------------------------------------------------


def test_admin_add_goes_through_the_service(admin_http, root, pf, fresh_bus, committed):
    with committed():
        resp = admin_http.post(f"{LIMITS}add/", _add_form(pf))
    assert resp.status_code == 302, resp.context["adminform"].form.errors if resp.context else resp
    limit = RiskLimit.objects.get()
    assert (limit.scope_value, limit.created_by, limit.portfolio_id) == ("AAPL", root, pf.pk)
    change = LimitChange.objects.get(limit_id=limit.pk)
    assert (change.action, change.changed_by, change.old) == ("create", root, None)
    assert change.new["scope_value"] == "AAPL" and change.new["name"] == "AAPL cap"
    (event,) = _events()
    assert (event.topic, event.payload["action"], event.payload["by"]) == (
        "risk.limits.alice_pf",
        "create",
        "root",
    )


@pytest.mark.parametrize(
    ("over", "field", "reason"),
    [
        ({"warn_threshold": "1500"}, "warn_threshold", "above the breach level"),
        ({"scope_value": "ZZZZ"}, "scope_value", "Unknown symbol"),
        ({"limit_type": "var_limit"}, "scope", "accepts the scopes"),
        ({"limit_type": "leverage", "scope": "portfolio", "scope_value": ""}, "unit", "ratio"),
        ({"breach_threshold": "-1", "warn_threshold": ""}, "breach_threshold", "greater than 0"),
    ],
)
def test_admin_form_refuses_a_bad_limit(admin_http, pf, over, field, reason):
    resp = admin_http.post(f"{LIMITS}add/", _add_form(pf, **over))
    assert resp.status_code == 200
    errors = resp.context["adminform"].form.errors
    assert reason in " ".join(errors[field]), errors
    assert (RiskLimit.objects.count(), LimitChange.objects.count()) == (0, 0)


def test_admin_change_form_is_audited(admin_http, root, limit, pf, fresh_bus, committed):
    form = _add_form(pf, scope_value="AAPL", severity="high", name="")
    form.pop("portfolio")  # read-only once the limit exists
    form["breach_threshold"] = "1200"
    with committed():
        resp = admin_http.post(f"{LIMITS}{limit.pk}/change/", form)
    assert resp.status_code == 302
    change = LimitChange.objects.get(limit_id=limit.pk, action="update")
    assert (change.old["breach_threshold"], change.new["breach_threshold"]) == (1000.0, 1200.0)
    assert change.changed_by == root and change.new["portfolio"] == "alice_pf"
    (event,) = _events()
    assert (event.payload["action"], event.payload["new"]["breach_threshold"]) == ("update", 1200.0)


def test_list_editable_save_is_audited_and_published(admin_http, root, limit, fresh_bus, committed):
    with committed():
        resp = admin_http.post(
            LIMITS, _list_edit(limit, warn_threshold="900", severity="critical", enabled="")
        )
    assert resp.status_code == 302, resp.context["cl"].formset.errors if resp.context else resp
    limit.refresh_from_db()
    assert (limit.warn_threshold, limit.severity, limit.enabled) == (900.0, "critical", False)
    change = LimitChange.objects.get(limit_id=limit.pk, action="update")
    assert change.changed_by == root
    old = {k: change.old[k] for k in ("warn_threshold", "severity", "enabled", "breach_threshold")}
    new = {k: change.new[k] for k in ("warn_threshold", "severity", "enabled", "breach_threshold")}
    assert old == {"warn_threshold": 800.0, "severity": "high", "enabled": True, "breach_threshold": 1000.0}
    assert new == {
        "warn_threshold": 900.0,
        "severity": "critical",
        "enabled": False,
        "breach_threshold": 1000.0,
    }
    (event,) = _events()
    assert (event.topic, event.payload["action"], event.payload["by"]) == (
        "risk.limits.alice_pf",
        "update",
        "root",
    )


def test_list_editable_refuses_warn_above_breach(admin_http, limit):
    resp = admin_http.post(LIMITS, _list_edit(limit, warn_threshold="5000"))
    assert resp.status_code == 200
    (row_errors,) = resp.context["cl"].formset.errors
    assert "above the breach level" in " ".join(row_errors["warn_threshold"])
    limit.refresh_from_db()
    assert limit.warn_threshold == 800.0
    assert not LimitChange.objects.filter(action="update").exists()


def test_admin_deletes_are_audited(admin_http, root, limit, staff_user, fresh_bus, committed):
    other = limit_create(data={"limit_type": "leverage", "breach_threshold": 3}, user=staff_user)
    third = limit_create(data={"limit_type": "drawdown", "breach_threshold": 0.2}, user=staff_user)
    with committed():
        assert admin_http.post(f"{LIMITS}{limit.pk}/delete/", {"post": "yes"}).status_code == 302
        resp = admin_http.post(
            LIMITS, {"action": "delete_selected", "_selected_action": [other.pk, third.pk], "post": "yes"}
        )
    assert resp.status_code == 302
    assert not RiskLimit.objects.exists()
    deletes = LimitChange.objects.filter(action="delete")
    assert sorted(deletes.values_list("limit_id", flat=True)) == sorted([limit.pk, other.pk, third.pk])
    assert {c.changed_by for c in deletes} == {root}
    topics = sorted((e.topic, e.payload["limit"]) for e in _events())
    assert topics == sorted(
        [
            ("risk.limits.alice_pf", limit.pk),
            ("risk.limits.global", other.pk),
            ("risk.limits.global", third.pk),
        ]
    )


def test_audit_trail_is_read_only_in_the_admin(admin_http, limit):
    change = LimitChange.objects.get(limit_id=limit.pk)
    assert admin_http.get("/admin/risk/limitchange/").status_code == 200
    assert admin_http.get("/admin/risk/limitchange/add/").status_code == 403
    resp = admin_http.post(f"/admin/risk/limitchange/{change.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 403 and LimitChange.objects.filter(pk=change.pk).exists()


# --- breaches --------------------------------------------------------------------------------------


def test_breach_actions_are_offered(admin_http, pf):
    make_breach(pf)
    resp = admin_http.get(BREACHES)
    assert resp.status_code == 200
    actions = {value for value, _ in resp.context["action_form"].fields["action"].choices if value}
    assert {"acknowledge", "escalate", "resolve"} <= actions
    assert "delete_selected" not in actions  # breaches are a record, not deleted by hand


def test_breach_actions_move_the_life_cycle(admin_http, root, pf, fresh_bus):
    make_policy("desk", [{"level": 1, "delay_seconds": 60, "channels": ["bus"]}], is_default=True)
    a, b = make_breach(pf), make_breach(make_portfolio("second_pf", owner=root))
    resp = admin_http.post(BREACHES, {"action": "acknowledge", "_selected_action": [a.pk]})
    assert resp.status_code == 302
    a.refresh_from_db()
    assert (a.status, a.acknowledged_by) == ("acknowledged", root)
    admin_http.post(BREACHES, {"action": "escalate", "_selected_action": [b.pk]})
    b.refresh_from_db()
    assert (b.status, b.escalation_level, b.escalated_by) == ("escalated", 1, root)
    admin_http.post(BREACHES, {"action": "resolve", "_selected_action": [a.pk, b.pk]})
    assert set(Breach.objects.values_list("status", "resolved_by")) == {("resolved", root.pk)}


def test_refused_breach_action_is_reported_not_raised(admin_http, pf):
    breach = make_breach(pf)
    admin_http.post(BREACHES, {"action": "resolve", "_selected_action": [breach.pk]})
    resp = admin_http.post(BREACHES, {"action": "acknowledge", "_selected_action": [breach.pk]}, follow=True)
    assert resp.status_code == 200
    texts = [str(m) for m in resp.context["messages"]]
    assert any("Not acknowledged" in t and "resolved" in t for t in texts), texts
    breach.refresh_from_db()
    assert breach.status == "resolved" and breach.acknowledged_at is None


# --- every page ------------------------------------------------------------------------------------


def test_every_risk_admin_page_renders(admin_http, limit, pf):
    breach = make_breach(pf, limit=limit)
    policy = make_policy(
        "desk", [{"level": 1, "delay_seconds": 0, "channels": ["email"], "emails": "a@x.io"}]
    )
    MonitorState.load()
    scenario = StressScenario.objects.create(name="tech -20%", shocks={"sector": {"Tech": -0.2}})
    for url in (
        LIMITS,
        f"{LIMITS}?limit_type__exact=max_position&severity__exact=high&enabled__exact=1",
        f"{LIMITS}add/",
        f"{LIMITS}{limit.pk}/change/",
        f"{LIMITS}?portfolio__id__exact={pf.pk}&q=aapl",
        "/admin/risk/limitchange/",
        "/admin/risk/limitchange/?q=alice_pf",
        f"/admin/risk/limitchange/?q={limit.pk}",
        BREACHES,
        f"{BREACHES}?q=alice_pf",
        f"{BREACHES}?status__exact=open&level__exact=breach",
        f"{BREACHES}{breach.pk}/change/",
        "/admin/risk/escalationpolicy/",
        f"/admin/risk/escalationpolicy/{policy.pk}/change/",
        "/admin/risk/alertdelivery/",
        "/admin/risk/monitorstate/",
        "/admin/risk/monitorstate/1/change/",
        "/admin/risk/stressscenario/",
        f"/admin/risk/stressscenario/{scenario.pk}/change/",
    ):
        assert admin_http.get(url).status_code == 200, url


def test_escalation_level_needs_its_channel_target(admin_http):
    data = {
        "name": "desk",
        "description": "",
        "levels-TOTAL_FORMS": "1",
        "levels-INITIAL_FORMS": "0",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "1000",
        "levels-0-level": "1",
        "levels-0-delay_seconds": "30",
        "levels-0-channels": '["webhook"]',
        "levels-0-emails": "",
        "levels-0-webhook_url": "",
        "_save": "Save",
    }
    resp = admin_http.post("/admin/risk/escalationpolicy/add/", data)
    assert resp.status_code == 200
    (level_errors,) = resp.context["inline_admin_formsets"][0].formset.errors
    assert "needs a URL" in level_errors["webhook_url"][0]
    data["levels-0-webhook_url"] = "https://hooks.example.com/risk"
    assert admin_http.post("/admin/risk/escalationpolicy/add/", data).status_code == 302
