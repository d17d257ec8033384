"""POST /api/factors/screen: always a job on the factors queue; run as a worker receives it, its
result lists the strongest factors with adjusted p-values; bad input is a 400 naming the field."""

from __future__ import annotations

import json

import pytest

from apps.factors.kernels.library.alpha158 import ALPHA158
from apps.factors.tasks.screening import screen
from apps.platform.models import Job, JobState

pytestmark = pytest.mark.django_db
URL = "/api/factors/screen"


def test_a_screen_is_a_job_whose_result_ranks_the_factors(api_client, factor_market, window, settings):
    settings.JOB_SYNC_WAIT_SECONDS = 0
    resp = api_client.post(
        URL, {"library": "alpha158", "count": 20, "universe": "all", "top": 5, **window}, format="json"
    )
    assert resp.status_code == 202, resp.content
    job = Job.objects.get()
    assert job.engine == "factors" and job.name == "apps.factors.tasks.screening.screen"
    result = screen(str(job.pk), json.loads(json.dumps(job.params)))
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.result == json.loads(json.dumps(result))
    assert result["screened"] + len(result["failed"]) == 20 and len(result["top"]) == 5
    t = [abs(row["t_stat"]) for row in result["top"]]
    assert t == sorted(t, reverse=True)
    assert all(row["p_value"] <= row["p_value_adjusted"] <= 1 for row in result["top"])
    assert {row["name"] for row in result["top"]} <= set(list(ALPHA158)[:20])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"library": "nope"}, "library"),
        ({"count": 0}, "count"),
        ({"count": 10_000_000}, "count"),
        ({"first": -1}, "first"),
        ({"library": "alpha101", "first": 200}, "first"),
        ({"symbols": ["AAA"]}, "symbols"),
        ({"universe": "all", "symbols": ["AAA", "BBB"]}, "symbols"),
        ({"horizon": 0}, "horizon"),
        ({"start": "yesterday"}, "start"),
    ],
)
def test_bad_requests_are_400_naming_the_field(api_client, factor_market, window, change, field):
    body = {"symbols": ["AAA", "BBB", "CCC"], **window, **change}
    if "universe" in change and "symbols" not in change:
        body.pop("symbols")
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 400 and field in resp.json(), resp.content
