"""POST /api/factors/calculate over stored bars: JSON matrices equal to pandas over the fixture's own
frames (NaN as null), CSV and Parquet in long form with the same numbers, stored factors by name,
the whole active universe; every bad input a 400 naming its field; a large request a 202 job."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from apps.factors.services.definitions import definition_save
from apps.platform.models import Job

pytestmark = pytest.mark.django_db
URL = "/api/factors/calculate"
SYMBOLS = ["AAA", "GAP", "NOVWAP"]


def _day(factor_market, k: int) -> str:
    return factor_market["AAA"].index[k].strftime("%Y-%m-%d")


def _close(factor_market, symbols=SYMBOLS) -> pd.DataFrame:
    return pd.DataFrame({s: factor_market[s]["close"] for s in symbols})


@pytest.fixture
def window(factor_market):
    # [day 50, day 60): the end is a bare date, so it includes day 59 but not day 60.
    return {"symbols": SYMBOLS, "start": _day(factor_market, 50), "end": _day(factor_market, 59)}


def test_json_gives_a_dates_by_symbols_matrix_per_formula_equal_to_pandas(api_client, factor_market, window):
    resp = api_client.post(
        URL, {**window, "formulas": ["Mean($close, 5)/$close", "Ref($close, 1)"]}, format="json"
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    close = _close(factor_market)
    inside = close.index[50:60]
    assert body["dates"] == [d.strftime("%Y-%m-%dT%H:%M:%SZ") for d in inside]
    assert body["symbols"] == SYMBOLS
    mean, ref = body["factors"]
    assert (mean["label"], mean["formula"]) == ("Mean($close, 5)/$close",) * 2
    assert mean["canonical"] == "div(ts_mean($close,5),$close)"
    expected = (close.rolling(5).mean() / close).loc[inside]
    got = np.array(mean["values"], dtype=float)  # null -> nan
    np.testing.assert_allclose(got, expected.to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(np.array(ref["values"], dtype=float), close.shift(1).loc[inside].to_numpy())
    # GAP misses every 11th bar: its missing day (and the 5-day means over it) are null, not shifted.
    gap = [row[1] for row in mean["values"]]
    assert None in gap and np.isnan(expected["GAP"]).sum() == gap.count(None)


def test_csv_and_parquet_are_the_same_numbers_in_long_form(api_client, factor_market, window):
    body = {**window, "formulas": ["Mean($close, 5)/$close", "$volume"]}
    matrix = api_client.post(URL, body, format="json").json()
    csv = api_client.post(URL, {**body, "format": "csv"}, format="json")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    long = pd.read_csv(io.StringIO(csv.content.decode()))
    assert list(long.columns) == ["date", "symbol", "Mean($close, 5)/$close", "$volume"]
    assert list(long["symbol"][:3]) == SYMBOLS and long["date"][0] == matrix["dates"][0]
    flat = np.array(matrix["factors"][0]["values"], dtype=float).reshape(-1)
    np.testing.assert_array_equal(long["Mean($close, 5)/$close"].to_numpy(), flat)  # %.17g round-trips
    parquet = api_client.post(URL, {**body, "format": "parquet"}, format="json")
    assert parquet.status_code == 200 and parquet["Content-Type"] == "application/vnd.apache.parquet"
    frame = pd.read_parquet(io.BytesIO(parquet.content))
    np.testing.assert_array_equal(frame["$volume"].to_numpy(), long["$volume"].to_numpy())
    assert frame["date"].dt.tz is not None and len(frame) == len(matrix["dates"]) * len(SYMBOLS)


def test_stored_factors_by_name_and_version(api_client, factor_market, window):
    definition_save(name="mom", formula="Mean($close, 5)/$close")
    definition_save(name="mom", formula="Mean($close, 3)/$close")
    resp = api_client.post(URL, {**window, "factors": ["mom@1", "mom"]}, format="json")
    assert resp.status_code == 200, resp.content
    one, latest = resp.json()["factors"]
    assert (one["label"], latest["label"]) == ("mom@1", "mom@2")
    close = _close(factor_market)
    expected = (close.rolling(3).mean() / close).iloc[50:60].to_numpy()
    np.testing.assert_allclose(np.array(latest["values"], dtype=float), expected, rtol=1e-12)


def test_universe_all_is_every_active_instrument_by_symbol(api_client, factor_market, window):
    body = {"universe": "all", "formula": "$close", "start": window["start"], "end": window["end"]}
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 200 and resp.json()["symbols"] == sorted(factor_market)


@pytest.mark.parametrize(
    ("change", "field", "position", "message"),
    [
        ({"formula": "Mean($close, 5"}, "formula", 14, "unexpected end"),
        ({"formula": "Mean($nope, 5)"}, "formula", 5, "nope"),
        ({"formula": "Meen($close, 5)"}, "formula", 0, "Meen"),
        ({"formula": "Mean($close, 400)"}, "formula", 0, "window longer than the data"),
        ({"formula": "$close + $f.nope"}, "formula", 9, "nope"),
    ],
)
def test_a_wrong_formula_is_a_400_with_its_position(
    api_client, factor_market, window, change, field, position, message
):
    resp = api_client.post(URL, {**window, **change}, format="json")
    assert resp.status_code == 400, resp.content
    detail = resp.json()[field]
    assert detail["position"] == position and message in detail["message"], detail
    assert detail["caret"].split("\n")[1].startswith(" " * position + "^")


def test_a_wrong_formula_in_a_list_is_keyed_by_its_index(api_client, factor_market, window):
    resp = api_client.post(URL, {**window, "formulas": ["$close", "Std($close, )"]}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()) == {"formulas"} and list(resp.json()["formulas"]) == ["1"]
    assert resp.json()["formulas"]["1"]["position"] == 12


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"formula": None, "factors": ["nope", "mom@9"]}, "factors", "unknown factor: nope, mom@9"),
        ({"symbols": ["AAA", "ZZZ"]}, "symbols", "unknown symbol: ZZZ"),
        ({"symbols": []}, "symbols", "give symbols"),
        ({"universe": "all"}, "symbols", "one of them"),
        ({"universe": "some"}, "universe", "not a valid choice"),
        ({"formulas": ["$close"]}, "formula", "exactly one of"),
        ({"start": "2023-03-01", "end": "2023-02-01"}, "end", "after start"),
        ({"start": "2023-03-01", "end": "2023-03-01T00:00:00Z"}, "end", "after start"),
        ({"start": "2031-01-01", "end": "2031-02-01"}, "start", "no 1d bars"),
        ({"start": "soon"}, "start", ""),
        ({"interval": "7d"}, "interval", "use one of"),
        ({"format": "xlsx"}, "format", "not a valid choice"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, factor_market, window, change, field, message):
    body = {k: v for k, v in {**window, "formula": "$close", **change}.items() if v is not None}
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 400, resp.content
    assert message in str(resp.json()[field]), resp.json()


def test_caps_on_symbols_and_formulas(api_client, factor_market, window, settings):
    settings.FACTORS_MAX_SYMBOLS = 2
    resp = api_client.post(URL, {**window, "formula": "$close"}, format="json")
    assert resp.status_code == 400 and "at most 2 symbols" in str(resp.json()["symbols"])
    settings.FACTORS_MAX_SYMBOLS, settings.FACTORS_MAX_FORMULAS = 10, 2
    resp = api_client.post(URL, {**window, "formulas": ["$close", "$open", "$high"]}, format="json")
    assert resp.status_code == 400 and "at most 2" in str(resp.json()["formulas"])


def test_a_factor_at_another_interval_is_refused(api_client, factor_market, window):
    definition_save(name="weekly", formula="$close", interval="1w")
    resp = api_client.post(URL, {**window, "factors": ["weekly"]}, format="json")
    assert resp.status_code == 400 and "weekly@1" in str(resp.json()["factors"])


def test_more_cells_than_the_sync_limit_is_a_202_job_with_the_request_as_params(
    api_client, factor_market, window, settings
):
    # 8 business days (the window's estimate) x 3 symbols x 2 formulas = 48 cells > 47.
    settings.FACTORS_SYNC_MAX_CELLS = 47
    body = {**window, "formulas": ["$close", "Mean($close, 5)"], "start": "2023-03-13", "end": "2023-03-22"}
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 202, resp.content
    job = Job.objects.get(pk=resp.json()["id"])
    assert job.engine == "factors" and job.name == "apps.factors.tasks.calculate.calculate"
    assert job.params["formulas"] == ["$close", "Mean($close, 5)"] and job.params["symbols"] == SYMBOLS
    assert resp["Location"].endswith(f"/api/jobs/{job.pk}")
    settings.FACTORS_SYNC_MAX_CELLS = 48
    assert api_client.post(URL, body, format="json").status_code == 200


def test_anonymous_is_401(anon_client):
    assert anon_client.post(URL, {}, format="json").status_code == 401
