"""/api/ml/models/{id}/aliases: list, one alias, PUT to move or create it (staff or the
ml.change_modelalias permission; 400 naming `version` or `name`; 403; 404), and the history."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from apps.ml.models import AliasMove, ModelAlias
from apps.ml.services.aliases import alias_move
from apps.ml.services.versions import version_create
from apps.platform import bus

pytestmark = pytest.mark.django_db
URL = "/api/ml/models/spy-ret-5d/aliases"


def test_staff_create_then_move_an_alias_audited_and_published(
    staff_client, staff_user, price_model, v1, v2, fresh_bus, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = staff_client.put(f"{URL}/champion", {"version": 1, "reason": "first"}, format="json")
        moved = staff_client.put(f"{URL}/champion", {"version": 2}, format="json")
        same = staff_client.put(f"{URL}/champion", {"version": 2}, format="json")
    assert created.status_code == 201 and created.json()["version"] == 1
    assert moved.status_code == 200 and moved.json()["version"] == 2
    assert same.status_code == 200 and AliasMove.objects.count() == 2
    payloads = [e.payload for e in bus.subscribe("ml.models.spy-ret-5d", last_id="0", follow=False)]
    assert [(p["from_version"], p["to_version"], p["moved_by"]) for p in payloads] == [
        (None, 1, "ops"),
        (1, 2, "ops"),
    ]

    history = staff_client.get(f"{URL}/champion/history").json()
    assert history["count"] == 2
    assert [(h["from_version"], h["to_version"], h["reason"], h["moved_by"]) for h in history["results"]] == [
        (1, 2, "", "ops"),
        (None, 1, "first", "ops"),
    ]


def test_the_permission_is_enough_without_staff(api_client, user, price_model, v1):
    assert api_client.put(f"{URL}/champion", {"version": 1}, format="json").status_code == 403
    user.user_permissions.add(
        Permission.objects.get(codename="change_modelalias", content_type__app_label="ml")
    )
    assert api_client.put(f"{URL}/champion", {"version": 1}, format="json").status_code == 201


def test_moving_without_permission_is_403_and_changes_nothing(api_client, price_model, v1, v2):
    alias_move(model=price_model, name="champion", version=v1)
    r = api_client.put(f"{URL}/champion", {"version": 2}, format="json")
    assert r.status_code == 403 and "ml.change_modelalias" in r.json()["detail"]
    assert ModelAlias.objects.get(name="champion").version == v1 and AliasMove.objects.count() == 1


def test_reading_aliases(api_client, price_model, v1, v2):
    alias_move(model=price_model, name="champion", version=v2)
    alias_move(model=price_model, name="challenger", version=v1)
    listed = api_client.get(URL).json()
    assert [(a["name"], a["version"]) for a in listed] == [("challenger", 1), ("champion", 2)]
    one = api_client.get(f"/api/ml/models/{price_model.pk}/aliases/champion")
    assert one.status_code == 200 and one.json()["version_id"] == v2.pk


@pytest.mark.parametrize(
    "body",
    [{"version": 3}, {"version": 0}, {"version": "two"}, {}, {"version": 1.5}, {"version": None}],
)
def test_a_bad_or_unknown_version_is_a_400_naming_version(staff_client, price_model, v1, body):
    r = staff_client.put(f"{URL}/champion", body, format="json")
    assert r.status_code == 400 and "version" in r.json()
    assert not ModelAlias.objects.exists()


def test_a_failed_version_is_a_400_naming_version(staff_client, price_model, v1):
    version_create(model=price_model, artifact=None, status="failed", error="diverged")
    r = staff_client.put(f"{URL}/champion", {"version": 2}, format="json")
    assert r.status_code == 400 and "not ready" in str(r.json()["version"])


def test_a_bad_alias_name_is_a_400_naming_it(staff_client, price_model, v1):
    r = staff_client.put(f"{URL}/Champion", {"version": 1}, format="json")
    assert r.status_code == 400 and "name" in r.json()


def test_a_too_long_reason_is_a_400_naming_it(staff_client, price_model, v1):
    r = staff_client.put(f"{URL}/champion", {"version": 1, "reason": "x" * 2001}, format="json")
    assert r.status_code == 400 and "reason" in r.json()


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", "/api/ml/models/nope/aliases"),
        ("get", f"{URL}/champion"),
        ("get", f"{URL}/champion/history"),
        ("put", "/api/ml/models/nope/aliases/champion"),
    ],
)
def test_unknown_models_and_aliases_are_404(staff_client, price_model, v1, method, url):
    r = (
        getattr(staff_client, method)(url, {"version": 1}, format="json")
        if method == "put"
        else staff_client.get(url)
    )
    assert r.status_code == 404


def test_reading_needs_a_signed_in_user(anon_client, price_model, v1):
    assert anon_client.get(URL).status_code == 401
    assert anon_client.put(f"{URL}/champion", {"version": 1}, format="json").status_code == 401
