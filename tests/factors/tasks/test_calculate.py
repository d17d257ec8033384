"""The calculate job through a JSON round trip of its params (as the broker carries them): the task
writes the Parquet file, the job succeeds with its description, the file downloads (to its creator
only) with the same numbers as the synchronous answer; bad input found in the job is kept on it."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from apps.factors.tasks.calculate import CALCULATE, calculate
from apps.platform.models import Job, JobState

pytestmark = pytest.mark.django_db
URL = "/api/factors/calculate"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _job(api_client, settings, body) -> Job:
    settings.FACTORS_SYNC_MAX_CELLS = 0  # every request is a job
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 202, resp.content
    return Job.objects.get(pk=resp.json()["id"])


def _run(job: Job):
    # A shared task called in-process; its arguments as JSON carried them.
    return calculate(job_id=str(job.pk), params=json.loads(json.dumps(job.params)))


def test_the_job_writes_the_values_as_parquet_and_they_download(
    api_client, other_client, factor_market, settings, media
):
    body = {
        "symbols": ["AAA", "GAP"],
        "formulas": ["Mean($close, 5)/$close", "cs_rank($volume)"],
        "start": "2023-03-01",
        "end": "2023-04-01",
    }
    job = _job(api_client, settings, body)
    result = _run(job)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.result == result
    assert result["factors"] == body["formulas"] and result["symbols"] == 2
    assert result["download_url"] == f"/api/factors/calculate/{job.pk}/download"
    assert (media / "factors" / f"{job.pk}.parquet").stat().st_size == result["size"]

    download = api_client.get(result["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/vnd.apache.parquet"
    frame = pd.read_parquet(io.BytesIO(b"".join(download.streaming_content)))
    assert list(frame.columns) == ["date", "symbol", *body["formulas"]]
    assert len(frame) == result["dates"] * 2 and result["cells"] == result["dates"] * 2 * 2

    settings.FACTORS_SYNC_MAX_CELLS = 10**9
    now = api_client.post(URL, {**body, "format": "parquet"}, format="json")
    expected = pd.read_parquet(io.BytesIO(now.content))
    pd.testing.assert_frame_equal(frame, expected)
    # Checked against pandas too: the 5-day mean over close for AAA.
    close = factor_market["AAA"]["close"]
    ref = (close.rolling(5).mean() / close).loc["2023-03-01":"2023-03-31"].to_numpy()
    np.testing.assert_allclose(frame.loc[frame["symbol"] == "AAA", body["formulas"][0]], ref, rtol=1e-12)

    assert other_client.get(result["download_url"]).status_code == 403


def test_a_job_not_finished_has_nothing_to_download(api_client, factor_market, settings, media):
    job = _job(
        api_client,
        settings,
        {"symbols": ["AAA"], "formula": "$close", "start": "2023-03-01", "end": "2023-04-01"},
    )
    assert api_client.get(f"/api/factors/calculate/{job.pk}/download").status_code == 404
    assert job.name == CALCULATE


def test_bad_input_found_by_the_job_fails_it_with_the_field(api_client, factor_market, settings, media):
    # A window that needs more rows than the data holds is only known once the bars are read.
    job = _job(
        api_client,
        settings,
        {
            "symbols": ["AAA"],
            "formulas": ["$close", "Mean($close, 400)"],
            "start": "2023-01-02",
            "end": "2024-06-01",
        },
    )
    with pytest.raises(Exception, match="window longer than the data"):
        _run(job)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "window longer than the data" in job.error_detail["formulas"][0]
    assert job.error_detail["formulas"][0].startswith("[1] ")
