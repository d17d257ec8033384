"""The tear sheet's attribution table (HTML, PDF, CSV, Excel) holds the attribution API's numbers: the
stored book's contribution by sector and security over the report's periods, and Brinson-Fachler
when the request names a model benchmark. The book is the one of test_attribution_book (real index
closes, a EUR instrument, trades away from the close, fees, a dividend, flows)."""

from __future__ import annotations

import io
import json
import re
import warnings

import openpyxl
import pandas as pd
import pytest

from apps.analytics.tasks.reports import report_generate
from apps.platform.models import Job, JobState
from apps.platform.services import job_start
from apps.portfolio.services import portfolio_create
from tests.analytics.selectors.test_attribution_stored import closes, fund, market  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
TASK = "apps.analytics.tasks_reports.report_generate"
MODEL = {"weights": {"TECH": 0.3, "TEC2": 0.2, "IDX": 0.3, "EUX": 0.2}}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def _run(user, media, fmt: str, **params) -> tuple[Job, bytes]:
    params = {"portfolio": "fund", "format": fmt, "start": None, "end": None, "frequency": "1w", **params}
    job = job_start(engine="analytics", task_name=TASK, params=params, user=user)
    report_generate(**json.loads(json.dumps({"job_id": str(job.pk), "params": job.params})))
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error_detail
    return job, (media / "reports" / f"{job.pk}.{fmt}").read_bytes()


def _api(api_client, **body) -> dict:
    res = api_client.post("/api/analytics/attribution/fund", {"frequency": "1w", **body}, format="json")
    assert res.status_code == 200, res.json()
    return res.json()


def _expected(api: dict) -> dict[str, float | None]:
    """{"level:name:figure": value} of the contribution answer."""
    out = {}
    for level, key, rows in (("sector", "sector", api["sectors"]), ("security", "symbol", api["securities"])):
        for row in rows:
            for figure in ("weight", "return_contribution", "risk_contribution"):
                out[f"{level}:{row[key]}:{figure}"] = row[figure]
    return out


def test_html_attribution_table_holds_the_apis_numbers(user, fund, media, api_client):  # noqa: F811
    _, html = _run(user, media, "html")
    shown = dict(re.findall(r'data-attribution="([^"]+)" data-value="([^"]*)"', html.decode()))
    expected = _expected(_api(api_client, method="contribution"))
    assert set(shown) == set(expected)
    for key, value in expected.items():
        assert float(shown[key]) == value, key  # repr round-trips every digit
    assert 'id="brinson"' not in html.decode()


def test_csv_and_excel_attribution_hold_the_apis_numbers(user, fund, media, api_client):  # noqa: F811
    expected = _expected(_api(api_client, method="contribution"))
    _, csv = _run(user, media, "csv")
    frame = pd.read_csv(io.BytesIO(csv))
    rows = frame[frame.section == "attribution"].set_index("name")["value"]
    assert set(rows.index) == set(expected)
    for key, value in expected.items():
        assert rows[key] == value, key
    _, xlsx = _run(user, media, "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames == ["metrics", "returns", "monthly", "attribution"]
    sheet = list(wb["attribution"].iter_rows(values_only=True))
    header = list(sheet[0])
    assert header == ["level", "name", "sector", "weight", "return_contribution", "risk_contribution"]
    for level, name, _sector, *figures in sheet[1:]:
        for figure, value in zip(header[3:], figures, strict=True):
            assert value == pytest.approx(expected[f"{level}:{name}:{figure}"], rel=1e-15, abs=1e-18)


def test_brinson_table_when_the_report_names_a_model(user, fund, media, api_client):  # noqa: F811
    api = _api(api_client, method="brinson", benchmark=MODEL)
    _, html = _run(user, media, "html", benchmark=MODEL)
    shown = dict(re.findall(r'data-brinson="([^"]+)" data-value="([^"]*)"', html.decode()))
    for name in ("allocation", "selection", "interaction", "trading", "total"):
        assert float(shown[f"Total:{name}"]) == api["totals"][name], name
    assert float(shown["Trading:trading"]) == api["totals"]["trading"]
    for row in api["sectors"]:
        assert float(shown[f"{row['sector']}:allocation"]) == row["allocation"]
    _, xlsx = _run(user, media, "xlsx", benchmark=MODEL)
    assert openpyxl.load_workbook(io.BytesIO(xlsx)).sheetnames[-1] == "brinson"
    _, pdf = _run(user, media, "pdf", benchmark=MODEL)
    # metrics, attribution, then equity, drawdown, monthly, rolling Sharpe, rolling beta (IDX)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 7


def test_report_api_checks_the_model_benchmark(api_client, other_user, fund):  # noqa: F811
    portfolio_create(code="theirs", name="theirs", owner=other_user)
    url = "/api/analytics/reports/fund?async=true"
    res = api_client.post(url, {"benchmark": {"portfolio": "theirs"}}, format="json")
    assert res.status_code == 403
    res = api_client.post(url, {"benchmark": "IDX"}, format="json")
    assert res.status_code == 400 and "single instrument" in str(res.json()["benchmark"])
    res = api_client.post(url, {"benchmark": {"portfolio": "nope"}}, format="json")
    assert res.status_code == 400 and "benchmark.portfolio" in res.json()
    res = api_client.post(url, {"format": "csv", "benchmark": MODEL}, format="json")
    assert res.status_code == 202
    assert Job.objects.get(pk=res.json()["id"]).params["benchmark"] == MODEL
