"""POST /api/features/compute: 400 with the field for every bad request; the job on a REAL Celery
worker on the features queue, split into chunks, stores values equal to TA-Lib called directly."""

from __future__ import annotations

import numpy as np
import pytest
import talib

from apps.features.models import FeatureComputation
from apps.features.services.definitions import definition_save
from apps.features.services.sets import set_create
from apps.platform.models import Job, JobState
from tests.platform.conftest import broker_purge, running_worker


@pytest.fixture
def defs(sp500_market):
    definition_save(name="rsi_14", function="RSI", params={"timeperiod": 14})
    definition_save(name="mavp_30", function="MAVP")
    definition_save(name="sma_5_weekly", function="SMA", params={"timeperiod": 5}, interval="1w")
    definition_save(name="sma_5_hourly", function="SMA", params={"timeperiod": 5}, interval="1h")
    set_create(name="momentum", features=["rsi_14"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"features": ["rsi_14"]}, "symbols", "This field is required."),
        ({"symbols": "AAA", "features": ["rsi_14"]}, "symbols", 'or "all"'),
        ({"symbols": ["AAA", "ZZZ"], "features": ["rsi_14"]}, "symbols", "unknown symbol: ZZZ"),
        ({"symbols": ["AAA"]}, "features", "give features"),
        ({"symbols": ["AAA"], "features": ["nope"]}, "features", "unknown definition: nope"),
        ({"symbols": ["AAA"], "features": ["rsi_14@7"]}, "features", "unknown definition: rsi_14@7"),
        ({"symbols": ["AAA"], "set": "nope"}, "set", "unknown feature set 'nope'"),
        ({"symbols": ["AAA"], "features": ["mavp_30"]}, "features", "reads periods"),
        ({"symbols": ["AAA"], "features": ["rsi_14"], "interval": "1w"}, "features", "not at interval 1w"),
        ({"symbols": ["AAA"], "features": ["rsi_14"], "interval": "7d"}, "interval", "use one of"),
        ({"symbols": ["AAA"], "features": ["sma_5_hourly"]}, "interval", "no bars at 1h"),
        ({"symbols": ["AAA"], "features": ["rsi_14"], "start": "yesterday"}, "start", "ISO"),
        (
            {"symbols": ["AAA"], "features": ["rsi_14"], "start": "2024-05-01", "end": "2024-04-01"},
            "end",
            "after",
        ),
    ],
)
def test_bad_requests_are_400_with_the_field(api_client, defs, body, field, message):
    resp = api_client.post("/api/features/compute", body, format="json")
    assert resp.status_code == 400, resp.content
    assert message in str(resp.json()[field])
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_symbol_and_definition_caps(api_client, defs, settings):
    settings.FEATURES_COMPUTE_MAX_SYMBOLS = 1
    resp = api_client.post(
        "/api/features/compute", {"symbols": ["AAA", "BBB"], "features": ["rsi_14"]}, format="json"
    )
    assert resp.status_code == 400 and "at most 1 symbols" in str(resp.json()["symbols"])
    settings.FEATURES_COMPUTE_MAX_SYMBOLS, settings.FEATURES_COMPUTE_MAX_DEFINITIONS = 10, 0
    resp = api_client.post(
        "/api/features/compute", {"symbols": ["AAA"], "features": ["rsi_14"]}, format="json"
    )
    assert resp.status_code == 400 and "at most 0 definitions" in str(resp.json()["features"])


@pytest.mark.django_db
def test_anonymous_is_401(client):
    assert client.post("/api/features/compute", {}, content_type="application/json").status_code == 401


@pytest.fixture
def features_worker(celery_app, django_db_setup, django_db_blocker, settings):
    settings.JOB_SYNC_WAIT_SECONDS = 60  # the answer comes from the job, not from a race with it
    settings.FEATURES_COMPUTE_CHUNK_SYMBOLS = 1  # two symbols: two chunk tasks
    broker_purge()
    with django_db_blocker.unblock(), running_worker(celery_app, ["features"]) as worker:
        yield worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_job_in_chunks_on_a_real_worker_stores_talibs_values(
    features_worker, api_client, defs, sp500_market
):
    resp = api_client.post("/api/features/compute", {"symbols": "all", "set": "momentum"}, format="json")
    assert resp.status_code == 200, resp.content
    result = resp.json()
    rows = len(sp500_market["AAA"]) + len(sp500_market["BBB"])
    assert (result["features"], result["instruments"], result["rows"], result["chunks"]) == (
        ["rsi_14@1"],
        2,
        rows,
        2,
    )
    job = Job.objects.get(pk=resp["X-Job-Id"])
    assert (job.state, job.progress) == (JobState.SUCCEEDED, 100)
    assert sorted(FeatureComputation.objects.get(pk=job.pk).chunks_done) == [0, 1]
    got = api_client.get("/api/features/values?symbols=BBB&features=rsi_14").json()
    expected = talib.RSI(sp500_market["BBB"]["close"].to_numpy(), 14)
    values = np.array([np.nan if r["rsi_14@1"] is None else r["rsi_14@1"] for r in got["rows"]])
    np.testing.assert_allclose(values, expected, rtol=1e-12, equal_nan=True)
