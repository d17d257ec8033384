"""Risk report jobs (apps.risk.tasks_reports.report_generate) on the simulated market of
fixtures_measures with a limit, breaches and two stored scenarios: every format holds the same
numbers the VaR, stress and check APIs answer; downloads are guarded; the report is announced on
`risk.alerts.reports`. Tasks run directly with JSON-round-tripped arguments (what a worker receives);
the API test checks the job it starts."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from apps.platform import bus
from apps.platform.models import Job, JobState
from apps.platform.services import job_start
from apps.risk.models import StressScenario
from apps.risk.reports.data import report_data_gather
from apps.risk.reports.render_pdf import page_count
from apps.risk.selectors.check import portfolio_check
from apps.risk.tasks.reports import report_generate
from tests.risk import fixtures_measures
from tests.risk.breach_factory import make_breach
from tests.risk.conftest import day, make_instrument, make_limit, make_portfolio, store_daily_bars

pytestmark = pytest.mark.django_db
market = fixtures_measures.market  # the shared fixture, found by pytest under this name
TASK = "apps.risk.tasks_reports.report_generate"
METHODS = ("historical", "normal", "cornish_fisher", "monte_carlo")


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def risk_book(market, user):
    """`pf` with a gross-exposure limit at warn, one open and one resolved breach, two scenarios."""
    pf = market.portfolio
    gross = abs(market.values).sum()
    limit = make_limit(
        pf, limit_type="gross_exposure", breach_threshold=gross * 1.1, warn_threshold=gross * 0.9
    )
    make_breach(pf, limit=limit, limit_type="gross_exposure", last_value=gross, last_utilization=0.95)
    make_breach(pf, limit_type="net_exposure", status="resolved", resolved_at=day(1))
    StressScenario.objects.create(name="Crash", shocks={"sector": {"Tech": -0.2}, "currency": {"EUR": -0.1}})
    StressScenario.objects.create(
        name="Replay", kind="historical", window_start=day(100), window_end=day(150)
    )
    return pf


def _run(user, **params) -> tuple[Job, dict]:
    params = {"portfolios": ["pf"], "format": "json", "confidence": 0.975, "scenarios": None, **params}
    job = job_start(engine="risk", task_name=TASK, params=params, user=user)
    kwargs = json.loads(json.dumps({"job_id": str(job.pk), "params": job.params}))
    result = report_generate(**kwargs)
    job.refresh_from_db()
    return job, result


def _file(media, job: Job, ext: str) -> bytes:
    return (media / "risk_reports" / f"{job.pk}.{ext}").read_bytes()


def _api_var(client, method, confidence=0.975, portfolio="pf"):
    res = client.post(
        f"/api/risk/var/{portfolio}", {"method": method, "confidence": confidence}, format="json"
    )
    assert res.status_code == 200, res.content
    return res.json()


def _api_stress(client, scenarios=("Crash", "Replay")):
    res = client.post("/api/risk/stress/pf", {"scenarios": list(scenarios)}, format="json")
    assert res.status_code == 200, res.content
    return res.json()


def test_json_holds_the_apis_answers(user, api_client, risk_book, media):
    job, result = _run(user, format="json")
    assert job.state == JobState.SUCCEEDED and job.result == result
    assert result["download_url"] == f"/api/risk/reports/{job.pk}/download"
    assert result["scenarios"] == ["Crash", "Replay"]  # every stored scenario when none named
    report = json.loads(_file(media, job, "json"))
    (pf,) = report["portfolios"]
    for method in METHODS:
        api = _api_var(api_client, method)
        assert pf["var"][method]["var"] == api["var"] and pf["var"][method]["es"] == api["es"], method
        assert pf["var"][method]["positions"] == api["positions"]
    assert pf["stress"] == _api_stress(api_client)
    check = portfolio_check(portfolio="pf")
    assert pf["limits"]["limits"] == check["limits"] and pf["limits"]["verdict"] == "warn"
    (limit,) = pf["limits"]["limits"]
    assert limit["after"]["utilization"] == pytest.approx(1 / 1.1, rel=1e-12)  # gross / (1.1 × gross)
    assert [b["limit_type"] for b in pf["breaches"]] == ["gross_exposure"]  # the resolved one is left out
    assert pf["missing"] == {}


def test_csv_rows_equal_the_apis(user, api_client, risk_book, media):
    job, result = _run(user, format="csv", scenarios=["Crash"])
    rows = list(csv.DictReader(io.StringIO(_file(media, job, "csv").decode())))
    assert list(rows[0]) == ["section", "portfolio", "name", "field", "value"]
    got = {(r["section"], r["name"], r["field"]): r["value"] for r in rows}
    for method in METHODS:
        api = _api_var(api_client, method)
        assert float(got[("var", method, "var")]) == api["var"]
        assert float(got[("var", method, "es_pct_nav")]) == api["es_pct_nav"]
    stress = _api_stress(api_client, ["Crash"])["results"][0]
    assert float(got[("stress", "Crash", "pnl")]) == stress["pnl"]
    for p in stress["positions"]:
        assert float(got[("stress_positions", f"Crash|{p['symbol']}", "pnl")]) == p["pnl"]
    limit = portfolio_check(portfolio="pf")["limits"][0]
    assert float(got[("limits", str(limit["id"]), "utilization")]) == limit["after"]["utilization"]
    assert got[("limits", str(limit["id"]), "status")] == "warn"
    assert ("stress", "Replay", "pnl") not in got


def _x(value):
    # Excel keeps 15 significant digits (openpyxl writes them so): equal up to that precision.
    return pytest.approx(value, rel=1e-14, abs=0)


def test_xlsx_sheets_equal_the_apis(user, api_client, risk_book, media):
    job, result = _run(user, format="xlsx")
    assert result["content_type"].endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(_file(media, job, "xlsx")))
    assert wb.sheetnames == [
        "summary",
        "limits",
        "breaches",
        "var",
        "components",
        "stress",
        "stress_positions",
    ]

    def sheet(name):
        values = list(wb[name].iter_rows(values_only=True))
        return [dict(zip(values[0], row, strict=True)) for row in values[1:]]

    var = {r["method"]: r for r in sheet("var")}
    for method in METHODS:
        api = _api_var(api_client, method)
        assert var[method]["var"] == _x(api["var"]) and var[method]["es"] == _x(api["es"])
        assert var[method]["confidence"] == 0.975
    normal = _api_var(api_client, "normal")
    components = {r["symbol"]: r for r in sheet("components")}
    for p in normal["positions"]:
        assert components[p["symbol"]]["component_var"] == _x(p["component_var"])
    stress = {r["scenario"]: r["pnl"] for r in sheet("stress")}
    api_stress = _api_stress(api_client)["results"]
    assert stress == {r["scenario"]["name"]: _x(r["pnl"]) for r in api_stress}
    assert len(stress) == 2
    (summary,) = sheet("summary")
    assert summary["open_breaches"] == 1 and summary["verdict"] == "warn"
    assert [r["status"] for r in sheet("breaches")] == ["open"]


def test_html_cells_and_charts_for_several_portfolios(user, api_client, risk_book, media):
    job, _ = _run(user, format="html", portfolios=["pf", "empty_pf"])
    html = _file(media, job, "html").decode()
    for code in ("pf", "empty_pf"):
        charts = re.findall(
            rf'<img id="chart-{code}-(\w+)" alt="\w+" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html
        )
        assert [c[0] for c in charts] == ["utilization", "pnl_distribution", "stress"]
        assert all(len(c[1]) > 1000 for c in charts)
    cells = {
        (section, pf, name, field): value
        for section, pf, name, cells_html in re.findall(
            r'<tr data-section="(\w+)" data-portfolio="(\w+)" data-name="([^"]*)">(.*?)</tr>', html
        )
        for field, value in re.findall(r'data-field="(\w+)" data-value="([^"]*)"', cells_html)
    }
    for method in METHODS:
        api = _api_var(api_client, method)
        assert float(cells[("var", "pf", method, "var")]) == api["var"]
        assert float(cells[("var", "empty_pf", method, "var")]) == 0.0
    for r in _api_stress(api_client)["results"]:
        assert float(cells[("stress", "pf", r["scenario"]["name"], "pnl")]) == r["pnl"]


def test_pdf_pages(user, risk_book, media):
    job, result = _run(user, format="pdf", portfolios=["pf", "empty_pf"])
    pdf = _file(media, job, "pdf")
    assert pdf.startswith(b"%PDF") and result["size"] == len(pdf)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    data = report_data_gather(portfolios=["pf", "empty_pf"], confidence=0.975)
    assert pages == page_count(data) == 8  # per portfolio: a tables page and three charts


def test_a_portfolio_without_history_is_reported_with_the_reason(user, market, media):
    make_instrument("NEW")
    store_daily_bars("NEW", [10, 11, 12])
    make_portfolio("young", owner=user, positions={"NEW": 5})
    job, _ = _run(user, format="json", portfolios=["young", "pf"])
    report = json.loads(_file(media, job, "json"))
    young, pf = report["portfolios"]
    assert (
        set(young["missing"]) == {f"var.{m}" for m in METHODS} and "window" in young["missing"]["var.normal"]
    )
    assert young["var"] == {} and set(pf["var"]) == set(METHODS)


def test_bad_input_fails_the_job_with_field_messages(user, market):
    with pytest.raises(ValidationError):
        _run(user, format="docx")
    assert "format" in Job.objects.get().error_detail
    with pytest.raises(ValidationError):
        _run(user, portfolios=["nope"])
    job = Job.objects.order_by("-created_at").first()
    assert job.state == JobState.FAILED and "portfolios" in job.error_detail


def test_download_is_for_the_creator_or_staff(user, risk_book, media, api_client, other_client, staff_client):
    job, result = _run(user, format="pdf")
    res = api_client.get(result["download_url"])
    assert res.status_code == 200 and res["Content-Type"] == "application/pdf"
    assert b"".join(res.streaming_content) == _file(media, job, "pdf")
    assert staff_client.get(result["download_url"]).status_code == 200
    assert other_client.get(result["download_url"]).status_code == 403
    assert (
        api_client.get("/api/risk/reports/00000000-0000-0000-0000-000000000000/download").status_code == 404
    )
    pending = job_start(engine="risk", task_name=TASK, params={"portfolios": ["pf"]}, user=user)
    assert api_client.get(f"/api/risk/reports/{pending.pk}/download").status_code == 404


def test_a_ready_report_is_announced_on_risk_alerts_reports(user, risk_book, fresh_bus):
    job, result = _run(user, format="csv")
    events = list(bus.subscribe("risk.alerts.#", last_id="0", follow=False))
    assert [e.topic for e in events] == ["risk.alerts.reports"]
    assert events[0].payload == {
        "job_id": str(job.pk),
        "portfolios": ["pf"],
        "format": "csv",
        "download_url": result["download_url"],
    }


def test_api_starts_a_risk_job(api_client, other_client, risk_book):
    url = "/api/risk/report/generate?async=true"
    res = api_client.post(url, {"portfolios": ["pf", str(risk_book.pk)], "format": "xlsx"}, format="json")
    assert res.status_code == 202, res.content
    job = Job.objects.get(pk=res.json()["id"])
    assert (job.engine, job.name) == ("risk", TASK)
    assert job.params == {"portfolios": ["pf"], "format": "xlsx", "confidence": 0.99, "scenarios": None}
    for body, field in (
        ({"portfolios": ["pf"], "format": "docx"}, "format"),
        ({"portfolios": []}, "portfolios"),
        ({}, "portfolios"),
        ({"portfolios": ["pf"], "confidence": 1.5}, "confidence"),
        ({"portfolios": ["pf"], "scenarios": ["Crash", "Nope"]}, "scenarios"),
    ):
        bad = api_client.post(url, body, format="json")
        assert bad.status_code == 400 and field in bad.json(), (body, bad.content)
    assert api_client.post(url, {"portfolios": ["pf", "nope"]}, format="json").status_code == 404
    assert other_client.post(url, {"portfolios": ["pf"]}, format="json").status_code == 403
