"""GET /api/factors/operators and /fields: the reference is the registry's and the field docs' own
content (every operator once, with its aliases, argument kinds and defaults), filterable."""

from __future__ import annotations

import pytest

from apps.factors.kernels.operators import OPERATORS
from apps.factors.selectors.panels import FIELD_DOCS

pytestmark = pytest.mark.django_db


def test_every_operator_is_listed_once_with_its_spec(api_client):
    resp = api_client.get("/api/factors/operators")
    assert resp.status_code == 200
    rows = resp.json()
    assert sorted(r["name"] for r in rows) == sorted(OPERATORS)
    by_name = {r["name"]: r for r in rows}
    mean = by_name["ts_mean"]
    assert "Mean" in mean["aliases"] and mean["category"] == "time_series"
    assert [(a["name"], a["kind"]) for a in mean["args"]] == [
        (a.name, a.kind) for a in OPERATORS["ts_mean"].args
    ]
    assert mean["doc"] == OPERATORS["ts_mean"].doc and mean["doc"]
    assert all(r["doc"] for r in rows)
    # A default is given as the spec's number, a required argument as null.
    for row in rows:
        spec = OPERATORS[row["name"]]
        assert [a["default"] for a in row["args"]] == [a.default for a in spec.args]
        assert row["variadic"] == spec.variadic


def test_operators_filter_by_category_and_by_any_spelling(api_client):
    rows = api_client.get("/api/factors/operators", {"category": "cross_section"}).json()
    assert rows and {r["category"] for r in rows} == {"cross_section"}
    assert len(rows) == sum(s.category == "cross_section" for s in OPERATORS.values())
    found = api_client.get("/api/factors/operators", {"name": "CORR"}).json()
    assert "ts_corr" in [r["name"] for r in found]
    assert all(any("corr" in n.lower() for n in [r["name"], *r["aliases"]]) for r in found)
    resp = api_client.get("/api/factors/operators", {"category": "nope"})
    assert resp.status_code == 400 and "category" in resp.json()


def test_fields_are_the_field_docs_with_their_kind(api_client):
    rows = api_client.get("/api/factors/fields").json()
    assert [r["name"] for r in rows] == list(FIELD_DOCS)
    kinds = {r["name"]: r["kind"] for r in rows}
    assert kinds["close"] == "series" and kinds["sector"] == "group" and kinds["f.<feature>"] == "series"


def test_anonymous_is_401(anon_client):
    assert anon_client.get("/api/factors/operators").status_code == 401
