"""Upload endpoints: request validation (400 with the field), permissions, the stored file, and the
whole path through a REAL Celery worker on the marketdata queue (report, row report, events)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import arch.data.sp500
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.marketdata.models import Bar, EconomicSeries, Instrument, SeriesObservation
from apps.platform import bus
from apps.platform.models import Job, JobState
from tests.platform.conftest import broker_purge, running_worker

GOOD = b"Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,100,101,99,100.5,100.4,1000\n"
BAD = b"Date,Open,High,Low,Close,Volume\n2024-01-02,100,101,99,100.5,1000\n2024-01-03,100,99,98,100.5,1000\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def uploads(media: Path) -> list[Path]:
    folder = media / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# --- without a worker: validation, permissions, the queued job ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({}, "file", "No file was submitted."),
        ({"file": ("bars.xlsx", GOOD)}, "file", "unknown format '.xlsx'"),
        ({"file": ("bars.csv", b"")}, "file", "The submitted file is empty."),
        ({"file": ("bars.csv", GOOD), "interval": "7d"}, "interval", '"7d" is not a valid choice.'),
        ({"file": ("bars.csv", GOOD), "skip_invalid": "maybe"}, "skip_invalid", "Must be a valid boolean."),
        (
            {"file": ("bars.csv", GOOD), "create_instruments": "perhaps"},
            "create_instruments",
            "Must be a valid",
        ),
        ({"file": ("bars", GOOD), "format": "xml"}, "format", '"xml" is not a valid choice.'),
    ],
)
def test_bad_requests_are_400_with_the_field(staff_client, media, form, field, message):
    data = {k: (upload(*v) if k == "file" else v) for k, v in form.items()}
    resp = staff_client.post("/api/marketdata/bars/upload", data, format="multipart")
    assert resp.status_code == 400, resp.content
    assert message in resp.json()[field][0]
    assert uploads(media) == [] and not Job.objects.exists()


@pytest.mark.django_db
def test_upload_needs_staff_or_the_add_permission(api_client, anon_client, user, staff_client):
    assert anon_client.post("/api/marketdata/bars/upload", {}).status_code == 401
    resp = api_client.post("/api/marketdata/bars/upload", {"file": upload("a.csv", GOOD)}, format="multipart")
    assert resp.status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="add_bar"))
    user = type(user).objects.get(pk=user.pk)  # permissions are cached per instance
    api_client.force_authenticate(user)
    form = {"file": upload("a.csv", GOOD), "symbol": "AAPL", "create_instruments": "true"}
    resp = api_client.post("/api/marketdata/bars/upload?async=true", form, format="multipart")
    assert resp.status_code == 403 and "add_instrument" in resp.json()["detail"]
    form["file"] = upload("a.csv", GOOD)
    form["create_instruments"] = "false"
    assert (
        api_client.post("/api/marketdata/bars/upload?async=true", form, format="multipart").status_code == 202
    )


@pytest.mark.django_db
def test_upload_stores_the_file_and_queues_a_marketdata_job(staff_client, media):
    form = {"file": upload("spx.csv", GOOD), "symbol": "spx", "interval": "1d", "skip_invalid": "true"}
    resp = staff_client.post("/api/marketdata/bars/upload?async=true", form, format="multipart")
    assert resp.status_code == 202
    assert resp["Location"].endswith(f"/api/jobs/{resp.json()['id']}")
    job = Job.objects.get()
    assert (job.engine, job.name) == ("marketdata", "apps.marketdata.tasks.bars_upload")
    stored = Path(job.params["path"])
    assert stored.parent == media / "uploads" and stored.read_bytes() == GOOD
    assert {
        k: job.params[k] for k in ("symbol", "interval", "skip_invalid", "create_instruments", "name")
    } == {
        "symbol": "spx",
        "interval": "1d",
        "skip_invalid": True,
        "create_instruments": False,
        "name": "spx.csv",
    }


# --- through a real worker ------------------------------------------------------------------------


@pytest.fixture
def marketdata_worker(celery_app, django_db_setup, django_db_blocker, settings, fresh_bus):
    settings.JOB_SYNC_WAIT_SECONDS = 60  # the answer comes from the job, not from a race with it
    broker_purge()
    with django_db_blocker.unblock(), running_worker(celery_app, ["marketdata"]) as worker:
        yield worker


@pytest.fixture(scope="session")
def celery_app():
    from nautilus.celery import app

    return app


def wait_job(client, job_id: str, deadline_s: float = 120) -> dict:
    """Poll the job document until it is terminal (a deadline, not a timing assertion)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        doc = client.get(f"/api/jobs/{job_id}").json()
        if doc["state"] in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED):
            return doc
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {doc}")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sp500_upload_runs_on_a_real_worker_and_answers_with_the_report(
    marketdata_worker, staff_client, media
):
    sp500 = arch.data.sp500.load()
    buf = io.BytesIO()
    sp500.to_parquet(buf)
    form = {"file": upload("sp500.parquet", buf.getvalue()), "symbol": "SPX", "create_instruments": "true"}
    resp = staff_client.post("/api/marketdata/bars/upload", form, format="multipart")
    assert resp.status_code == 200, resp.content
    report = resp.json()
    assert (report["rows_read"], report["rows_written"], report["created_instruments"]) == (
        5031,
        5031,
        ["SPX"],
    )
    assert report["groups"]["SPX"]["first"] == "1999-01-04T00:00:00Z"
    assert Bar.objects.filter(instrument__symbol="SPX").count() == 5031
    job = Job.objects.get(pk=resp["X-Job-Id"])
    assert (job.state, job.progress) == (JobState.SUCCEEDED, 100)
    assert uploads(media) == []  # the worker removed the stored file
    (event,) = bus.subscribe("market.data.bars.*", last_id="0", follow=False)
    assert event.topic == "market.data.bars.SPX" and event.payload["count"] == 5031


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_rejected_upload_fails_the_job_with_the_row_report(marketdata_worker, staff_client, media):
    Instrument.objects.create(symbol="AAPL")
    form = {"file": upload("bad.csv", BAD), "symbol": "AAPL"}
    resp = staff_client.post("/api/marketdata/bars/upload?async=true", form, format="multipart")
    assert resp.status_code == 202
    doc = wait_job(staff_client, resp.json()["id"])
    assert doc["state"] == "failed"
    assert doc["error_detail"]["file"] == ["1 invalid row(s) of 2; nothing written"]
    assert doc["error_detail"]["report"]["errors"] == [
        {"row": 3, "column": "high", "reason": "high 99.0 is below max(open, close) 100.5"}
    ]
    assert not Bar.objects.exists() and uploads(media) == []
    # The same file with skip_invalid, answered synchronously: the good row is written.
    form = {"file": upload("bad.csv", BAD), "symbol": "AAPL", "skip_invalid": "true"}
    resp = staff_client.post("/api/marketdata/bars/upload", form, format="multipart")
    assert resp.status_code == 200 and resp.json()["rows_written"] == 1 and Bar.objects.count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_unknown_symbol_is_a_400_from_the_worker(marketdata_worker, staff_client):
    resp = staff_client.post(
        "/api/marketdata/bars/upload", {"file": upload("x.csv", GOOD), "symbol": "NOPE"}, format="multipart"
    )
    assert resp.status_code == 400
    assert resp.json() == {
        "symbol": ["unknown symbol(s): NOPE; create them first or pass create_instruments"]
    }


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_series_upload_on_a_real_worker(marketdata_worker, staff_client):
    csv = b"observation_date,UNRATE\n2024-01-01,3.7\n2024-02-01,.\n2024-03-01,3.8\n"
    form = {"file": upload("unrate.csv", csv), "title": "Unemployment rate", "units": "percent",
            "known_at": "2024-04-05T12:30:00Z"}  # fmt: skip
    resp = staff_client.post("/api/marketdata/series/upload", form, format="multipart")
    assert resp.status_code == 200, resp.content
    assert resp.json()["rows_written"] == 3
    series = EconomicSeries.objects.get(code="UNRATE")
    assert (series.title, series.units) == ("Unemployment rate", "percent")
    values = list(SeriesObservation.objects.order_by("date").values_list("value", "known_at"))
    assert [v for v, _ in values] == [3.7, None, 3.8]
    assert {k.isoformat() for _, k in values} == {"2024-04-05T12:30:00+00:00"}
