"""/api/features/definitions: save (201 new version, 200 unchanged), list, history, errors."""

from __future__ import annotations

import pytest

from apps.marketdata.services import instrument_create

pytestmark = pytest.mark.django_db
URL = "/api/features/definitions"


def test_post_creates_then_answers_unchanged_then_versions(api_client, user):
    resp = api_client.post(URL, {"name": "rsi_14", "function": "RSI"}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["name"], body["version"], body["function"], body["params"]) == (
        "rsi_14",
        1,
        "RSI",
        {"timeperiod": 14},
    )
    assert (body["output"], body["interval"], body["adjusted"], body["created_by"]) == (
        "real",
        "1d",
        True,
        "alice",
    )

    again = api_client.post(
        URL, {"name": "rsi_14", "function": "rsi", "params": {"timeperiod": 14}}, format="json"
    )
    assert again.status_code == 200 and again.json()["version"] == 1

    changed = api_client.post(
        URL, {"name": "rsi_14", "function": "RSI", "params": {"timeperiod": 21}}, format="json"
    )
    assert changed.status_code == 201 and changed.json()["version"] == 2

    history = api_client.get(f"{URL}/rsi_14")
    assert history.status_code == 200
    assert history.json()["name"] == "rsi_14"
    assert [(v["version"], v["params"]) for v in history.json()["versions"]] == [
        (1, {"timeperiod": 14}),
        (2, {"timeperiod": 21}),
    ]


def test_list_shows_the_latest_version_of_each_name(api_client):
    for body in (
        {"name": "rsi_14", "function": "RSI"},
        {"name": "rsi_14", "function": "RSI", "params": {"timeperiod": 9}},
        {"name": "adv_20", "function": "adv"},
    ):
        assert api_client.post(URL, body, format="json").status_code == 201
    rows = api_client.get(URL).json()
    assert [(r["name"], r["version"]) for r in rows] == [("adv_20", 1), ("rsi_14", 2)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "f", "function": "RSX"}, "function"),
        ({"name": "f", "function": "RSI", "params": {"timeperiod": -1}}, "params.timeperiod"),
        ({"name": "f", "function": "RSI", "params": {"bogus": 1}}, "params.bogus"),
        ({"name": "f", "function": "MACD", "output": "nope"}, "output"),
        ({"name": "f", "function": "RSI", "interval": "7m"}, "interval"),
        ({"name": "Not-A-Slug", "function": "RSI"}, "name"),
        ({"name": "f", "function": "RSI", "adjusted": "maybe"}, "adjusted"),
        ({"name": "f", "function": "RSI", "params": "14"}, "params"),
        ({"function": "RSI"}, "name"),
        ({"name": "f"}, "function"),
    ],
)
def test_every_bad_input_is_a_400_naming_the_field(api_client, body, field):
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json(), resp.json()
    assert api_client.get(URL).json() == []


@pytest.fixture
def spy(db):
    instrument_create(symbol="SPY")
    instrument_create(symbol="QQQ")


def test_a_benchmark_for_the_functions_that_read_one(api_client, spy):
    resp = api_client.post(
        URL, {"name": "beta", "function": "rolling_beta", "benchmark": "spy"}, format="json"
    )
    assert resp.status_code == 201, resp.content
    assert (resp.json()["benchmark"], resp.json()["version"]) == ("SPY", 1)
    same = api_client.post(
        URL, {"name": "beta", "function": "rolling_beta", "benchmark": "SPY"}, format="json"
    )
    assert same.status_code == 200 and same.json()["version"] == 1
    other = api_client.post(
        URL, {"name": "beta", "function": "rolling_beta", "benchmark": "QQQ"}, format="json"
    )
    assert other.status_code == 201 and other.json()["version"] == 2
    rsi = api_client.post(URL, {"name": "rsi_14", "function": "RSI"}, format="json")
    assert rsi.json()["benchmark"] == ""
    history = api_client.get(f"{URL}/beta").json()["versions"]
    assert [v["benchmark"] for v in history] == ["SPY", "QQQ"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"function": "rolling_beta"}, "reads a benchmark"),
        ({"function": "rolling_correlation", "benchmark": ""}, "reads a benchmark"),
        ({"function": "rolling_beta", "benchmark": "NOPE"}, "unknown instrument"),
        ({"function": "rolling_beta", "benchmark": "S" * 33}, "32"),
        ({"function": "RSI", "benchmark": "SPY"}, "reads no benchmark"),
        ({"function": "earnings_yield", "benchmark": "SPY"}, "reads no benchmark"),
    ],
)
def test_a_bad_benchmark_is_a_400_naming_it(api_client, spy, body, says):
    resp = api_client.post(URL, {"name": "f", **body}, format="json")
    assert resp.status_code == 400, resp.content
    assert list(resp.json()) == ["benchmark"], resp.json()
    assert says in str(resp.json()["benchmark"])
    assert api_client.get(URL).json() == []


def test_the_function_error_suggests_near_names(api_client):
    resp = api_client.post(URL, {"name": "f", "function": "RSX"}, format="json")
    assert "did you mean RSI" in str(resp.json()["function"])


def test_an_unknown_name_is_a_404(api_client):
    resp = api_client.get(f"{URL}/nothing_here")
    assert resp.status_code == 404 and "detail" in resp.json()


def test_anonymous_is_refused(anon_client):
    assert anon_client.get(URL).status_code in (401, 403)
    assert anon_client.post(URL, {"name": "f", "function": "RSI"}, format="json").status_code in (401, 403)
    assert anon_client.get(f"{URL}/f").status_code in (401, 403)
