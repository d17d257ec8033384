"""Risk limits through the API: CRUD, the audit trail (who, when, old → new), events on
risk.limits.{portfolio}, every bad limit refused with its field and reason, and who may do what."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError

from apps.platform import bus
from apps.risk.kernels import catalog
from apps.risk.models import LimitChange, RiskLimit
from apps.risk.services.limits import limit_create, limit_validate
from tests.risk.conftest import make_instrument, make_portfolio

pytestmark = pytest.mark.django_db
LIST = "/api/risk/limits"
TYPES = "/api/risk/limit-types"


@pytest.fixture
def pf(user):
    make_instrument("AAPL", sector="Tech")
    make_instrument("MSFT", sector="Tech")
    return make_portfolio("alice_pf", owner=user)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the on-commit hooks (the bus events) of what happens inside, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


VALID = {
    "portfolio": "alice_pf",
    "limit_type": "max_position",
    "scope": "instrument",
    "scope_value": "aapl",
    "unit": "absolute",
    "warn_threshold": 80000,
    "breach_threshold": 100000,
    "severity": "critical",
}


def _events(pattern: str = "risk.limits.*"):
    return list(bus.subscribe(pattern, last_id="0", follow=False))


def _detail(limit_id) -> str:
    return f"{LIST}/{limit_id}"


def _grant(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="risk", codename__in=codenames)
    )


# --- create / update / delete, audited and published ---------------------------------------------


def test_create_is_audited_and_published(staff_client, staff_user, pf, fresh_bus, committed):
    with committed():
        resp = staff_client.post(LIST, VALID, format="json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert (body["portfolio"], body["scope_value"], body["measure"], body["created_by"]) == (
        "alice_pf",
        "AAPL",  # upper-cased against the instrument
        "money",
        "ops",
    )
    expected = {
        "id": body["id"],
        "portfolio": "alice_pf",
        "name": "",
        "limit_type": "max_position",
        "scope": "instrument",
        "scope_value": "AAPL",
        "unit": "absolute",
        "warn_threshold": 80000.0,
        "breach_threshold": 100000.0,
        "severity": "critical",
        "enabled": True,
        "confidence": 0.99,
        "horizon_days": 1.0,
        "window_days": 1,
        "resolve_after_seconds": None,
        "escalation_policy": None,
    }
    change = LimitChange.objects.get(limit_id=body["id"])
    assert (change.action, change.changed_by, change.portfolio_code) == ("create", staff_user, "alice_pf")
    assert (change.old, change.new) == (None, expected)
    (event,) = _events()
    assert event.topic == "risk.limits.alice_pf"
    assert {k: event.payload[k] for k in ("action", "limit", "portfolio", "old", "new", "by")} == {
        "action": "create",
        "limit": body["id"],
        "portfolio": "alice_pf",
        "old": None,
        "new": expected,
        "by": "ops",
    }


def test_global_limit_goes_on_the_global_topic_with_the_type_unit(staff_client, fresh_bus, committed):
    with committed():
        resp = staff_client.post(LIST, {"limit_type": "leverage", "breach_threshold": 3}, format="json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert (body["portfolio"], body["unit"], body["scope"], body["severity"]) == (
        None,
        "ratio",
        "portfolio",
        "high",
    )
    (event,) = _events()
    assert (event.topic, event.payload["action"]) == ("risk.limits.global", "create")
    assert LimitChange.objects.get(limit_id=body["id"]).portfolio_code == ""


def test_patch_records_old_and_new(staff_client, staff_user, pf, fresh_bus, committed):
    limit = limit_create(data=dict(VALID), user=staff_user)
    with committed():
        resp = staff_client.patch(
            _detail(limit.pk), {"warn_threshold": 90000, "enabled": False}, format="json"
        )
    assert resp.status_code == 200, resp.json()
    assert (resp.json()["warn_threshold"], resp.json()["enabled"]) == (90000.0, False)
    change = LimitChange.objects.filter(limit_id=limit.pk, action="update").get()
    assert (change.old["warn_threshold"], change.new["warn_threshold"]) == (80000.0, 90000.0)
    assert (change.old["enabled"], change.new["enabled"]) == (True, False)
    assert change.old["breach_threshold"] == change.new["breach_threshold"] == 100000.0
    assert change.changed_by == staff_user
    (event,) = _events()  # the create ran outside `committed`: only the update reached the bus
    assert (event.topic, event.payload["action"], event.payload["by"]) == (
        "risk.limits.alice_pf",
        "update",
        "ops",
    )
    assert (event.payload["old"], event.payload["new"]) == (change.old, change.new)

    history = staff_client.get(f"{_detail(limit.pk)}/history").json()
    assert [r["action"] for r in history["results"]] == ["update", "create"]
    assert history["results"][0]["changed"] == ["warn_threshold", "enabled"]  # field order
    assert history["results"][0]["changed_by"] == "ops"


def test_patch_that_changes_nothing_writes_nothing(staff_client, staff_user, pf, fresh_bus, committed):
    limit = limit_create(data=dict(VALID), user=staff_user)
    with committed():
        resp = staff_client.patch(
            _detail(limit.pk), {"warn_threshold": 80000, "scope_value": "AAPL"}, format="json"
        )
    assert resp.status_code == 200
    assert list(LimitChange.objects.filter(limit_id=limit.pk).values_list("action", flat=True)) == ["create"]
    assert _events() == []


def test_changing_scope_drops_the_old_bucket(staff_client, staff_user, pf):
    limit = limit_create(data=dict(VALID), user=staff_user)
    resp = staff_client.patch(_detail(limit.pk), {"scope": "portfolio"}, format="json")
    assert resp.status_code == 200, resp.json()
    assert (resp.json()["scope"], resp.json()["scope_value"]) == ("portfolio", "")


def test_delete_keeps_the_history_readable(
    staff_client, api_client, other_client, staff_user, pf, fresh_bus, committed
):
    limit = limit_create(data=dict(VALID), user=staff_user)
    with committed():
        assert staff_client.delete(_detail(limit.pk)).status_code == 204
    assert not RiskLimit.objects.filter(pk=limit.pk).exists()
    assert staff_client.get(_detail(limit.pk)).status_code == 404
    history = api_client.get(f"{_detail(limit.pk)}/history")  # alice may view the portfolio
    assert history.status_code == 200
    rows = history.json()["results"]
    assert [r["action"] for r in rows] == ["delete", "create"]
    assert rows[0]["old"]["scope_value"] == "AAPL" and rows[0]["new"] is None
    assert other_client.get(f"{_detail(limit.pk)}/history").status_code == 403
    (event,) = _events()
    assert (event.payload["action"], event.payload["new"], event.payload["old"]["id"]) == (
        "delete",
        None,
        limit.pk,
    )


# --- bad limits ------------------------------------------------------------------------------------

BAD = [
    ("warn above breach", {"warn_threshold": 150000}, "warn_threshold", "above the breach level"),
    ("unknown type", {"limit_type": "max_vibes"}, "limit_type", "Unknown limit type"),
    ("unknown scope", {"scope": "galaxy"}, "scope", "Unknown scope"),
    ("scope not allowed for the type", {"limit_type": "var_limit"}, "scope", "accepts the scopes portfolio"),
    (
        "unit not allowed for the type",
        {
            "limit_type": "leverage",
            "scope": "portfolio",
            "scope_value": "",
            "warn_threshold": 2,
            "breach_threshold": 3,
        },
        "unit",
        "ratio",
    ),
    (
        "negative breach threshold",
        {"warn_threshold": None, "breach_threshold": -5},
        "breach_threshold",
        "greater than 0",
    ),
    (
        "zero breach threshold",
        {"warn_threshold": None, "breach_threshold": 0},
        "breach_threshold",
        "greater than 0",
    ),
    ("negative warn threshold", {"warn_threshold": -1}, "warn_threshold", "0 or more"),
    ("missing scope_value", {"scope_value": ""}, "scope_value", "Required"),
    ("unknown symbol", {"scope_value": "ZZZZ"}, "scope_value", "Unknown symbol"),
    ("bucket on a portfolio scope", {"scope": "portfolio", "scope_value": "AAPL"}, "scope_value", "empty"),
    (
        "bad currency",
        {"limit_type": "currency_exposure", "scope": "currency", "scope_value": "EURO"},
        "scope_value",
        "ISO 4217",
    ),
    (
        "pct_nav beyond 10x NAV",
        {
            "scope": "portfolio",
            "scope_value": "",
            "unit": "pct_nav",
            "warn_threshold": None,
            "breach_threshold": 50,
        },
        "breach_threshold",
        "fraction of NAV",
    ),
    (
        "concentration above 1",
        {
            "limit_type": "concentration_limit",
            "unit": "ratio",
            "warn_threshold": None,
            "breach_threshold": 1.5,
        },
        "breach_threshold",
        "at most 1",
    ),
    ("confidence of 1", {"confidence": 1.0}, "confidence", "between 0 and 1"),
    ("zero horizon", {"horizon_days": 0}, "horizon_days", "greater than 0"),
    ("zero window", {"window_days": 0}, "window_days", "between 1"),
    ("unknown severity", {"severity": "apocalyptic"}, "severity", "Unknown severity"),
    ("unknown portfolio", {"portfolio": "nobody"}, "portfolio", "Unknown portfolio"),
    (
        "unknown escalation policy",
        {"escalation_policy": 999999},
        "escalation_policy",
        "Unknown escalation policy",
    ),
    ("text threshold", {"breach_threshold": "lots"}, "breach_threshold", "number"),
]


@pytest.mark.parametrize(("override", "field", "reason"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_limit_is_refused_with_its_field(staff_client, pf, fresh_bus, committed, override, field, reason):
    with committed():
        resp = staff_client.post(LIST, VALID | override, format="json")
    assert resp.status_code == 400, resp.json()
    body = resp.json()
    assert field in body, body
    assert reason in " ".join(body[field]), body
    assert (RiskLimit.objects.count(), LimitChange.objects.count(), _events()) == (0, 0, [])


def test_missing_breach_threshold_is_refused(staff_client, pf):
    payload = {k: v for k, v in VALID.items() if k != "breach_threshold"}
    resp = staff_client.post(LIST, payload, format="json")
    assert resp.status_code == 400 and "breach_threshold" in resp.json()


def test_validation_reports_every_problem_at_once(pf):
    with pytest.raises(ValidationError) as err:
        limit_validate(
            VALID | {"scope_value": "ZZZZ", "warn_threshold": -1, "severity": "x", "colour": "red"}
        )
    assert set(err.value.message_dict) == {"scope_value", "warn_threshold", "severity", "colour"}


def test_validate_normalizes(pf):
    cleaned = limit_validate(
        {
            "limit_type": "currency_exposure",
            "scope": "currency",
            "scope_value": " eur ",
            "breach_threshold": 0.2,
            "unit": "pct_nav",
        }
    )
    assert (cleaned["scope_value"], cleaned["portfolio"], cleaned["warn_threshold"]) == ("EUR", None, None)
    assert limit_validate({"limit_type": "adv_limit", "breach_threshold": 0.25})["unit"] == "ratio"


def test_patch_is_checked_against_the_stored_limit(staff_client, staff_user, pf, user):
    limit = limit_create(data=dict(VALID), user=staff_user)  # breach 100,000
    resp = staff_client.patch(_detail(limit.pk), {"warn_threshold": 200000}, format="json")
    assert resp.status_code == 400 and "above the breach level" in resp.json()["warn_threshold"][0]
    make_portfolio("other_pf", owner=user)
    resp = staff_client.patch(_detail(limit.pk), {"portfolio": "other_pf"}, format="json")
    assert resp.status_code == 400 and "portfolio" in resp.json()
    resp = staff_client.patch(_detail(limit.pk), {"limit_type": "leverage"}, format="json")
    assert resp.status_code == 400 and {"scope", "unit"} <= set(resp.json())
    limit.refresh_from_db()
    assert (limit.warn_threshold, limit.limit_type) == (80000.0, "max_position")
    assert LimitChange.objects.filter(limit_id=limit.pk).count() == 1


# --- permissions -----------------------------------------------------------------------------------


def test_owner_without_permission_cannot_write(api_client, staff_user, pf):
    limit = limit_create(data=dict(VALID), user=staff_user)
    assert api_client.post(LIST, VALID, format="json").status_code == 403
    assert api_client.patch(_detail(limit.pk), {"enabled": False}, format="json").status_code == 403
    assert api_client.delete(_detail(limit.pk)).status_code == 403
    assert api_client.get(_detail(limit.pk)).status_code == 200  # but reads it: she views the portfolio
    assert RiskLimit.objects.get(pk=limit.pk).enabled is True


def test_model_permissions_grant_each_write(api_client, user, pf):
    _grant(user, "add_risklimit")
    resp = api_client.post(LIST, VALID, format="json")
    assert resp.status_code == 201, resp.json()
    limit_id = resp.json()["id"]
    assert LimitChange.objects.get(limit_id=limit_id).changed_by == user
    assert api_client.patch(_detail(limit_id), {"enabled": False}, format="json").status_code == 403
    _grant(user, "change_risklimit")
    assert api_client.patch(_detail(limit_id), {"enabled": False}, format="json").status_code == 200
    assert api_client.delete(_detail(limit_id)).status_code == 403
    _grant(user, "delete_risklimit")
    assert api_client.delete(_detail(limit_id)).status_code == 204


def test_reads_follow_portfolio_visibility(staff_user, other_client, api_client, anon_client, pf):
    own = limit_create(data=dict(VALID), user=staff_user)
    glob = limit_create(data={"limit_type": "leverage", "breach_threshold": 4}, user=staff_user)
    assert other_client.get(_detail(own.pk)).status_code == 403
    assert other_client.get(_detail(glob.pk)).status_code == 200
    assert other_client.get(f"{_detail(own.pk)}/history").status_code == 403
    assert [r["id"] for r in other_client.get(LIST).json()["results"]] == [glob.pk]
    assert [r["id"] for r in api_client.get(LIST).json()["results"]] == [own.pk, glob.pk]
    assert anon_client.get(LIST).status_code == 401
    assert anon_client.post(LIST, VALID, format="json").status_code == 401


def test_unknown_limit_is_404(staff_client):
    assert staff_client.get(_detail(987654)).status_code == 404
    assert staff_client.patch(_detail(987654), {"enabled": False}, format="json").status_code == 404
    assert staff_client.delete(_detail(987654)).status_code == 404
    assert staff_client.get(f"{_detail(987654)}/history").status_code == 404
    assert staff_client.get(f"{LIST}/not-a-number").status_code == 404


# --- list, filters, types --------------------------------------------------------------------------


def test_list_filters_and_pages(staff_client, staff_user, pf):
    pos = limit_create(data=dict(VALID), user=staff_user)
    lev = limit_create(
        data={"portfolio": "alice_pf", "limit_type": "leverage", "breach_threshold": 2, "enabled": False},
        user=staff_user,
    )
    var = limit_create(
        data={"limit_type": "var_limit", "breach_threshold": 5e4, "severity": "medium"}, user=staff_user
    )

    def ids(query: str) -> list[int]:
        resp = staff_client.get(f"{LIST}?{query}")
        assert resp.status_code == 200, resp.json()
        return [r["id"] for r in resp.json()["results"]]

    assert ids("") == [pos.pk, lev.pk, var.pk]
    assert ids("type=leverage") == [lev.pk]
    assert ids("portfolio=global") == [var.pk]
    assert ids("portfolio=alice_pf") == [pos.pk, lev.pk]
    assert ids("severity=critical") == [pos.pk]
    assert ids("enabled=false") == [lev.pk]
    assert ids("scope=instrument") == [pos.pk]
    assert ids("scope=portfolio&severity=high") == [lev.pk]
    page = staff_client.get(f"{LIST}?limit=1&offset=1").json()
    assert (page["count"], [r["id"] for r in page["results"]]) == (3, [lev.pk])
    assert page["next"] is not None and page["previous"] is not None
    bad = staff_client.get(f"{LIST}?type=bogus")
    assert bad.status_code == 400 and "type" in bad.json()


def test_limit_types_document_the_catalog(api_client, anon_client):
    resp = api_client.get(TYPES)
    assert resp.status_code == 200
    rows = {r["code"]: r for r in resp.json()}
    assert list(rows) == list(catalog.TYPE_CODES) and len(rows) == 15
    assert rows["leverage"] == {
        "code": "leverage",
        "label": "Leverage",
        "measure": "ratio",
        "scopes": ["portfolio"],
        "units": ["ratio"],
        "parameters": [],
        "description": "Gross exposure / NAV.",
    }
    assert rows["var_limit"]["units"] == ["absolute", "pct_nav"]
    assert rows["var_limit"]["parameters"] == ["confidence", "horizon_days"]
    assert rows["gross_exposure"]["scopes"] == ["portfolio", "sector", "industry", "currency"]
    assert anon_client.get(TYPES).status_code == 401
