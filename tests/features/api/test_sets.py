"""/api/features/sets: create (pinning versions), list, detail, errors."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
URL = "/api/features/sets"
DEFS = "/api/features/definitions"


def _define(client, **body):
    resp = client.post(DEFS, body, format="json")
    assert resp.status_code in (200, 201), resp.content
    return resp.json()


def test_a_set_keeps_the_versions_it_pinned(api_client):
    _define(api_client, name="rsi_14", function="RSI")
    _define(api_client, name="adv_20", function="adv")
    resp = api_client.post(
        URL, {"name": "core", "features": ["rsi_14", "adv_20@1"], "description": "x"}, format="json"
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["features"] == ["adv_20@1", "rsi_14@1"] and resp.json()["created_by"] == "alice"

    assert _define(api_client, name="rsi_14", function="RSI", params={"timeperiod": 7})["version"] == 2
    detail = api_client.get(f"{URL}/core").json()
    assert detail["features"] == ["adv_20@1", "rsi_14@1"]
    assert {m["name"]: m["params"] for m in detail["members"]}["rsi_14"] == {"timeperiod": 14}
    assert [s["name"] for s in api_client.get(URL).json()] == ["core"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "s", "features": ["nope"]}, "features"),
        ({"name": "s", "features": ["rsi_14@9"]}, "features"),
        ({"name": "s", "features": []}, "features"),
        ({"name": "s"}, "features"),
        ({"name": "Bad Name", "features": ["rsi_14"]}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, body, field):
    _define(api_client, name="rsi_14", function="RSI")
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()


def test_unknown_members_are_named_and_a_taken_name_is_refused(api_client):
    _define(api_client, name="rsi_14", function="RSI")
    resp = api_client.post(URL, {"name": "s", "features": ["rsi_14", "ghost", "rsi_14@4"]}, format="json")
    assert resp.status_code == 400
    assert "ghost" in str(resp.json()["features"]) and "rsi_14@4" in str(resp.json()["features"])
    assert api_client.post(URL, {"name": "s", "features": ["rsi_14"]}, format="json").status_code == 201
    again = api_client.post(URL, {"name": "s", "features": ["rsi_14"]}, format="json")
    assert again.status_code == 400 and again.json()["name"] == ["exists"]


def test_an_unknown_set_is_a_404_and_anonymous_is_refused(api_client, anon_client):
    assert api_client.get(f"{URL}/nope").status_code == 404
    assert anon_client.get(URL).status_code in (401, 403)
    assert anon_client.get(f"{URL}/nope").status_code in (401, 403)
    assert anon_client.post(URL, {"name": "s", "features": ["x"]}, format="json").status_code in (401, 403)
