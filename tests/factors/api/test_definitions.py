"""/api/factors/definitions: list (latest of each name, by library or search), create (201 a new
version, 200 unchanged), versions of one name (404 unknown), a wrong formula a 400 pointing at it."""

from __future__ import annotations

import pytest

from apps.factors.models import FactorDefinition
from apps.factors.services.definitions import definition_save

pytestmark = pytest.mark.django_db
URL = "/api/factors/definitions"


@pytest.fixture
def defs():
    definition_save(name="mom_20", formula="Mean($close, 20)/$close", description="momentum")
    definition_save(name="mom_20", formula="Mean($close, 30)/$close")  # version 2
    definition_save(name="alpha158.KMID", formula="($close-$open)/$open", library="alpha158")
    definition_save(name="vol_spike", formula="$volume / Mean($volume, 20)")


def test_list_gives_the_latest_version_of_each_name(api_client, defs):
    rows = api_client.get(URL).json()
    assert [(r["name"], r["version"]) for r in rows] == [
        ("alpha158.KMID", 1),
        ("mom_20", 2),
        ("vol_spike", 1),
    ]
    assert rows[1]["canonical"] == "div(ts_mean($close,30),$close)"
    assert rows[1]["formula"] == "Mean($close, 30)/$close"
    assert rows[1]["lookback"] == 29
    assert rows[1]["id"] == FactorDefinition.objects.get(name="mom_20", version=2).pk  # the URLs' {factor}


def test_list_filters_by_library_and_search(api_client, defs):
    assert [r["name"] for r in api_client.get(URL, {"library": "alpha158"}).json()] == ["alpha158.KMID"]
    assert [r["name"] for r in api_client.get(URL, {"library": ""}).json()] == ["mom_20", "vol_spike"]
    assert [r["name"] for r in api_client.get(URL, {"search": "VOLUME"}).json()] == ["vol_spike"]
    # Only the latest version is searched: "momentum" describes mom_20@1, not @2.
    assert api_client.get(URL, {"search": "momentum"}).json() == []


def test_create_is_201_then_200_when_unchanged_then_201_for_a_new_version(api_client):
    body = {"name": "rev_5", "formula": "-1 * ($close / Ref($close, 5) - 1)"}
    first = api_client.post(URL, body, format="json")
    assert first.status_code == 201 and first.json()["version"] == 1
    assert first.json()["created_by"] == "alice"
    same = api_client.post(URL, {**body, "formula": "-1*($close/Ref($close,5)-1)"}, format="json")
    assert same.status_code == 200 and same.json()["version"] == 1
    changed = api_client.post(URL, {**body, "formula": "-1 * ($close / Ref($close, 10) - 1)"}, format="json")
    assert changed.status_code == 201 and changed.json()["version"] == 2
    history = api_client.get(f"{URL}/rev_5").json()
    assert history["name"] == "rev_5" and [v["version"] for v in history["versions"]] == [1, 2]


@pytest.mark.parametrize(
    ("formula", "position", "length", "message"),
    [
        ("Mean($close, 20", 15, 1, ""),  # unclosed call: at the end
        ("Mean($clsoe, 20)", 5, 6, "clsoe"),  # unknown field
        ("Meen($close, 20)", 0, 4, "Meen"),  # unknown operator
    ],
)
def test_a_wrong_formula_is_a_400_with_its_position_and_caret(api_client, formula, position, length, message):
    resp = api_client.post(URL, {"name": "bad", "formula": formula}, format="json")
    assert resp.status_code == 400, resp.content
    detail = resp.json()["formula"]
    assert set(detail) == {"message", "position", "length", "caret"}
    assert detail["position"] == position and isinstance(detail["position"], int)
    assert detail["length"] == length and message in detail["message"]
    line, marks = detail["caret"].split("\n")
    assert line == formula and marks == " " * position + "^" * length


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"formula": "$close"}, "name"),
        ({"name": "x"}, "formula"),
        ({"name": "bad name!", "formula": "$close"}, "name"),
        ({"name": "x", "formula": "$close", "interval": "7d"}, "interval"),
        ({"name": "x", "formula": "$close", "adjusted": "maybe"}, "adjusted"),
    ],
)
def test_other_bad_input_is_a_400_naming_the_field(api_client, body, field):
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 400 and field in resp.json(), resp.content


def test_unknown_name_is_404(api_client):
    assert api_client.get(f"{URL}/nope").status_code == 404
