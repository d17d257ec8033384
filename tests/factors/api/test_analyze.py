"""POST /api/factors/analyze and GET /api/factors/analyses/{id}: the answer is the stored analyses
(numbers equal to the kernels computed here on a pandas-built panel), an identical request answers
the same rows, a large request is a job on the factors queue, bad input is a 400 naming the field."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from apps.factors.kernels.analysis import clean_factor, forward_returns, information_coefficient
from apps.factors.models import FactorAnalysis
from apps.factors.services.definitions import definition_save
from apps.factors.tasks.analyze import analyze
from apps.platform.models import Job, JobState

from .conftest import SYMBOLS

pytestmark = pytest.mark.django_db
URL = "/api/factors/analyze"


def test_the_answer_is_the_stored_analyses_with_the_kernels_numbers(
    api_client, factor_market, price_factors, window
):
    body = {"factors": ["mom_5", "rev_3@1"], "symbols": SYMBOLS, **window, "horizons": [1, 5]}
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 200, resp.content
    docs = resp.json()["analyses"]
    assert [d["factor"]["label"] for d in docs] == ["mom_5@1", "rev_3@1"]
    assert FactorAnalysis.objects.count() == 2

    # the reference: the factor from pandas, then the kernels in alphalens's sample
    close = pd.DataFrame({s: factor_market[s]["close"] for s in SYMBOLS}).sort_index()
    factor = close / close.shift(5) - 1
    inside = (close.index >= pd.Timestamp(window["start"], tz="UTC")) & (
        close.index < pd.Timestamp(window["end"], tz="UTC") + pd.Timedelta(days=1)
    )
    fwd = forward_returns(close[inside].to_numpy(), [1, 5])
    clean = clean_factor(factor[inside].to_numpy(), fwd, quantiles=5)
    rank_ic = information_coefficient(clean.factor, fwd, method="rank")
    pearson = information_coefficient(clean.factor, fwd, method="pearson")
    mom = docs[0]
    assert mom["rank_ic_mean"] == pytest.approx(np.nanmean(rank_ic[0]), rel=1e-12)
    assert mom["ic_mean"] == pytest.approx(np.nanmean(pearson[0]), rel=1e-12)
    assert mom["icir"] == pytest.approx(np.nanmean(rank_ic[0]) / np.nanstd(rank_ic[0], ddof=1), rel=1e-12)
    assert mom["results"]["rank_ic"]["mean"][1] == pytest.approx(np.nanmean(rank_ic[1]), rel=1e-12)
    assert mom["horizons"] == [1, 5] and mom["symbols"] == SYMBOLS

    detail = api_client.get(f"/api/factors/analyses/{mom['id']}")
    assert detail.status_code == 200 and detail.json() == mom

    again = api_client.post(URL, body, format="json").json()["analyses"]
    assert [d["id"] for d in again] == [d["id"] for d in docs] and FactorAnalysis.objects.count() == 2


def test_an_unknown_analysis_is_a_404(api_client, db):
    assert api_client.get("/api/factors/analyses/999999").status_code == 404


def test_a_large_request_is_a_job_on_the_factors_queue(
    api_client, factor_market, price_factors, window, settings
):
    settings.FACTORS_SYNC_MAX_CELLS = 100
    settings.JOB_SYNC_WAIT_SECONDS = 0
    resp = api_client.post(URL, {"factors": ["mom_5"], "universe": "all", **window}, format="json")
    assert resp.status_code == 202, resp.content
    job = Job.objects.get()
    assert job.engine == "factors" and job.name == "apps.factors.tasks.analyze.analyze"
    assert not FactorAnalysis.objects.exists()
    result = analyze(str(job.pk), json.loads(json.dumps(job.params)))  # as a worker receives them
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.result == json.loads(json.dumps(result))
    (doc,) = result["analyses"]
    stored = FactorAnalysis.objects.get()
    assert doc["id"] == stored.pk and stored.symbols == sorted(SYMBOLS)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"factors": []}, "factors", ""),
        ({"factors": ["nope"]}, "factors", "unknown factor: nope"),
        ({"factors": ["mom_5@9"]}, "factors", "unknown factor: mom_5@9"),
        ({"symbols": ["AAA", "ZZZ"]}, "symbols", "unknown symbol: ZZZ"),
        ({"universe": "all"}, "symbols", "either symbols or universe"),
        ({"universe": "some"}, "universe", ""),
        ({"start": "yesterday"}, "start", "ISO"),
        ({"start": "2023-06-01", "end": "2023-05-01"}, "end", "after start"),
        ({"start": "2031-01-01", "end": "2031-02-01"}, "start", "no 1d bars"),
        ({"horizons": [0]}, "horizons", ""),
        ({"horizons": [1, 999]}, "horizons", ""),
        ({"quantiles": 1}, "quantiles", ""),
        ({"factors": ["mom_5", "weekly"]}, "factors", "one interval"),
    ],
)
def test_bad_requests_are_400_naming_the_field(
    api_client, factor_market, price_factors, window, change, field, message
):
    definition_save(name="weekly", formula="$close", interval="1w")
    body = {"factors": ["mom_5"], "symbols": SYMBOLS, **window, **change}
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json() and message in str(resp.json()[field])
    assert not FactorAnalysis.objects.exists()
