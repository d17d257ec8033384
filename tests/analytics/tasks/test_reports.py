"""Tear-sheet jobs on a stored portfolio fully invested in an S&P 500 instrument (real closes from
`arch`): every format is produced, its figures are the performance service's figures, downloads are
guarded, and the report is announced on the bus. Tasks are called directly with JSON-round-tripped
args (what a worker receives); one test goes through the API."""

from __future__ import annotations

import io
import json
import re
import warnings
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest
from django.core.exceptions import ValidationError

from apps.analytics.reports.data import report_data_gather
from apps.analytics.reports.render_pdf import page_count
from apps.analytics.selectors.performance import performance_report
from apps.analytics.tasks.reports import report_generate
from apps.marketdata.services import instrument_create
from apps.platform import bus
from apps.platform.models import Job, JobState
from apps.platform.services import job_start
from apps.portfolio.services import portfolio_create, transaction_record
from tests.analytics.market import sp500_closes, store_daily_closes

pytestmark = pytest.mark.django_db
DAYS = 300
TASK = "apps.analytics.tasks_reports.report_generate"


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    return sp500_closes(DAYS)


@pytest.fixture
def book(user, spx):
    """`spx_fund` (benchmark BENCH, a drifted copy of the index) and `no_bench`, both 10 SPX bought
    with a deposit at the first close."""
    spx_i = instrument_create(symbol="SPX", currency="USD")
    bench = instrument_create(symbol="BENCH", currency="USD")
    store_daily_closes(spx_i, spx["Close"], spx["Close"])
    drifted = spx["Adj Close"] * np.linspace(1.0, 1.05, len(spx)) * (1 + 0.01 * np.sin(np.arange(len(spx))))
    store_daily_closes(bench, spx["Close"], drifted)
    price = Decimal(str(round(float(spx["Close"].iloc[0]), 6)))
    when = spx.index[0].to_pydatetime()
    for code, benchmark in (("spx_fund", bench), ("no_bench", None)):
        p = portfolio_create(code=code, name=code, owner=user, benchmark=benchmark)
        transaction_record(portfolio=p, type="deposit", amount=price * 10, timestamp=when)
        transaction_record(
            portfolio=p, type="buy", instrument="SPX", quantity=Decimal(10), price=price, timestamp=when
        )
    return spx["Close"].pct_change().fillna(0.0)


def _run(user, **params) -> tuple[Job, dict]:
    """Start a job (its enqueue waits for a commit that never comes in a test) and run the task as a
    worker would, with JSON-round-tripped arguments."""
    params = {
        "portfolio": "spx_fund",
        "format": "html",
        "start": None,
        "end": None,
        "frequency": "1d",
        **params,
    }
    job = job_start(engine="analytics", task_name=TASK, params=params, user=user)
    kwargs = json.loads(json.dumps({"job_id": str(job.pk), "params": job.params}))
    result = report_generate(**kwargs)
    job.refresh_from_db()
    return job, result


def _file(media, job: Job, ext: str) -> bytes:
    return (media / "reports" / f"{job.pk}.{ext}").read_bytes()


def test_html_embeds_every_chart_and_the_service_figures(user, book, media):
    job, result = _run(user, format="html")
    assert job.state == JobState.SUCCEEDED and job.result == result
    assert result["download_url"] == f"/api/analytics/reports/{job.pk}/download"
    html = _file(media, job, "html").decode()
    charts = re.findall(
        r'<img id="chart-(\w+)" alt="\w+" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html
    )
    assert [c[0] for c in charts] == [
        "equity",
        "drawdown",
        "monthly_returns",
        "rolling_sharpe",
        "rolling_beta",
    ]
    assert all(len(c[1]) > 1000 for c in charts)
    shown = {m: v for m, v in re.findall(r'data-metric="(\w+)" data-value="([^"]*)"', html)}
    perf = performance_report(portfolio="spx_fund")
    for name in ("total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "beta", "alpha"):
        assert float(shown[name]) == perf["metrics"][name], name
    assert shown["max_drawdown_trough"] == perf["max_drawdown"]["trough"]
    # The figures are the index's own: the portfolio holds nothing but SPX.
    assert float(shown["total_return"]) == pytest.approx((1 + book).prod() - 1, rel=1e-9)


def test_pdf_has_metrics_and_attribution_pages_and_one_page_per_chart(user, book, media):
    job, result = _run(user, format="pdf")
    pdf = _file(media, job, "pdf")
    assert pdf.startswith(b"%PDF") and result["size"] == len(pdf)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert pages == page_count(report_data_gather(portfolio="spx_fund")) == 7
    # Without a benchmark there is no rolling-beta page.
    job, _ = _run(user, format="pdf", portfolio="no_bench")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", _file(media, job, "pdf"))) == 6


def test_xlsx_sheets_hold_the_apis_figures(user, book, media, api_client):
    job, result = _run(user, format="xlsx", start="2000-01-01")
    assert result["content_type"].endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(_file(media, job, "xlsx")))
    assert wb.sheetnames == ["metrics", "returns", "monthly", "attribution"]
    metrics = {row[0]: row[1] for row in wb["metrics"].iter_rows(min_row=2, values_only=True)}
    api = api_client.get("/api/analytics/performance/spx_fund", {"start": "2000-01-01"}).json()
    for name, value in api["metrics"].items():
        if value is None:
            assert metrics[name] is None, name
        else:
            assert metrics[name] == pytest.approx(value, rel=1e-12, abs=1e-15), name
    returns = pd.read_excel(io.BytesIO(_file(media, job, "xlsx")), sheet_name="returns", index_col="ts")
    np.testing.assert_allclose(returns["returns"].to_numpy(), np.asarray(api["series"]["returns"], float))
    monthly = pd.read_excel(io.BytesIO(_file(media, job, "xlsx")), sheet_name="monthly", index_col="year")
    # January 2000 compounded by hand from the daily returns.
    r = pd.Series(api["series"]["returns"], index=pd.to_datetime(api["series"]["ts"], utc=True))
    jan = (1 + r[(r.index.year == 2000) & (r.index.month == 1)]).prod() - 1
    assert monthly.loc[2000, "01"] == pytest.approx(jan, rel=1e-12)
    assert monthly.loc[2000, "year_total"] == pytest.approx(
        (1 + r[r.index.year == 2000]).prod() - 1, rel=1e-12
    )


def test_csv_parses_with_pandas_and_holds_metrics_and_returns(user, book, media):
    job, _ = _run(user, format="csv")
    frame = pd.read_csv(io.BytesIO(_file(media, job, "csv")))
    assert list(frame.columns) == ["section", "name", "ts", "value"]
    assert set(frame["section"]) == {"metrics", "returns", "monthly", "attribution"}
    perf = performance_report(portfolio="spx_fund")
    metrics = frame[frame.section == "metrics"].set_index("name")
    assert metrics.loc["sharpe", "value"] == perf["metrics"]["sharpe"]
    assert metrics.loc["max_drawdown_peak", "ts"] == perf["max_drawdown"]["peak"]
    returns = frame[(frame.section == "returns") & (frame.name == "returns")]
    assert list(returns["ts"]) == perf["series"]["ts"]
    np.testing.assert_array_equal(returns["value"].to_numpy(), np.asarray(perf["series"]["returns"]))


def test_bad_input_fails_the_job_with_field_messages(user, book):
    with pytest.raises(ValidationError):
        _run(user, format="csv", start="2001-01-01", end="2000-01-01")
    job = Job.objects.get()
    assert job.state == JobState.FAILED and "start" in json.dumps(job.error_detail)
    with pytest.raises(ValidationError):
        _run(user, format="docx")
    assert "format" in Job.objects.order_by("-created_at").first().error_detail


def test_download_is_for_the_creator_or_staff(user, book, media, api_client, other_client, staff_client):
    job, result = _run(user, format="pdf")
    res = api_client.get(result["download_url"])
    assert res.status_code == 200 and res["Content-Type"] == "application/pdf"
    assert b"".join(res.streaming_content) == _file(media, job, "pdf")
    assert staff_client.get(result["download_url"]).status_code == 200
    assert other_client.get(result["download_url"]).status_code == 403
    assert (
        api_client.get("/api/analytics/reports/00000000-0000-0000-0000-000000000000/download").status_code
        == 404
    )
    pending = job_start(engine="analytics", task_name=TASK, params={"portfolio": "spx_fund"}, user=user)
    assert api_client.get(f"/api/analytics/reports/{pending.pk}/download").status_code == 404


def test_a_ready_report_is_announced_on_the_bus(user, book, fresh_bus):
    job, result = _run(user, format="csv")
    events = list(bus.subscribe("analytics.reports.#", last_id="0", follow=False))
    assert [e.topic for e in events] == ["analytics.reports.spx_fund"]
    assert events[0].payload == {
        "job_id": str(job.pk),
        "portfolio": "spx_fund",
        "format": "csv",
        "download_url": result["download_url"],
    }


def test_api_starts_an_analytics_job(api_client, other_client, book):
    res = api_client.post(
        "/api/analytics/reports/spx_fund?async=true", {"format": "xlsx", "start": "2000-01-01"}, format="json"
    )
    assert res.status_code == 202, res.content
    job = Job.objects.get(pk=res.json()["id"])
    assert (job.engine, job.name, job.params) == (
        "analytics",
        TASK,
        {"portfolio": "spx_fund", "format": "xlsx", "start": "2000-01-01", "end": None, "frequency": None},
    )
    bad = api_client.post("/api/analytics/reports/spx_fund?async=true", {"format": "docx"}, format="json")
    assert bad.status_code == 400 and "format" in bad.json()
    assert api_client.post("/api/analytics/reports/nope?async=true", {}, format="json").status_code == 404
    assert (
        other_client.post("/api/analytics/reports/spx_fund?async=true", {}, format="json").status_code == 403
    )
