"""Jobs without a worker: the service, the task wrapper, the view helper and /api/jobs/{id} access."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from apps.platform import services
from apps.platform.jobs import job_task
from apps.platform.models import Job, JobState
from apps.platform.queues import queue_depths
from apps.platform.redis_client import broker_redis
from apps.platform.responses import job_response

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_broker")]


def make_job(user=None, **kw) -> Job:
    return Job.objects.create(engine="analytics", name="apps.analytics.tasks.x", created_by=user, **kw)


# --- GET /api/jobs/{id}: 401 / 403 / 404 --------------------------------------------------------


def test_job_detail_needs_authentication(anon_client, user):
    job = make_job(user)
    assert anon_client.get(f"/api/jobs/{job.pk}").status_code == 401


def test_job_detail_is_403_for_someone_else(other_client, user):
    job = make_job(user)
    resp = other_client.get(f"/api/jobs/{job.pk}")
    assert resp.status_code == 403
    assert "result" not in resp.json()


def test_job_detail_is_404_for_an_unknown_id(api_client):
    assert api_client.get(f"/api/jobs/{uuid.uuid4()}").status_code == 404


def test_creator_and_staff_see_the_job(api_client, staff_client, user):
    job = make_job(user, state=JobState.SUCCEEDED, progress=100, result={"pnl": 1.5})
    for client in (api_client, staff_client):
        resp = client.get(f"/api/jobs/{job.pk}")
        assert resp.status_code == 200
        doc = resp.json()
        assert doc["state"] == "succeeded" and doc["result"] == {"pnl": 1.5}
        assert "error" not in doc


def test_a_system_job_is_staff_only(api_client, staff_client):
    job = make_job(None)
    assert api_client.get(f"/api/jobs/{job.pk}").status_code == 403
    assert staff_client.get(f"/api/jobs/{job.pk}").status_code == 200


# --- the model keeps its invariants -------------------------------------------------------------


def test_progress_is_constrained_to_0_100(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_job(user, progress=101)


# --- job_start ----------------------------------------------------------------------------------


def test_job_start_enqueues_on_the_engines_priority_list_after_commit(
    user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = services.job_start(
            engine="analytics", task_name="apps.platform.tasks.selftest", params={"steps": 2}, user=user
        )
        assert queue_depths(["analytics"]) == {"analytics": 0}, "nothing is sent before the commit"
    assert len(callbacks) == 1
    # analytics is a "high" engine: priority 3 → kombu's list "analytics:3" (sep ":").
    raw = broker_redis().lrange("analytics:3", 0, -1)
    assert len(raw) == 1
    msg = json.loads(raw[0])
    assert msg["headers"]["task"] == "apps.platform.tasks.selftest"
    assert msg["headers"]["id"] == str(job.pk)
    args, kwargs, _ = json.loads(base64.b64decode(msg["body"]))
    assert kwargs == {"job_id": str(job.pk), "params": {"steps": 2}}
    assert job.state == JobState.PENDING and job.created_by == user


def test_job_start_rejects_unknown_engines_and_non_json_params(user):
    with pytest.raises(ValidationError) as err:
        services.job_start(engine="nope", task_name="t", params={}, user=user)
    assert "engine" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.job_start(engine="risk", task_name="t", params={"x": object()}, user=user)
    assert "params" in err.value.message_dict
    assert Job.objects.count() == 0


# --- the task wrapper ---------------------------------------------------------------------------


@job_task
def _double(job_id: str, params: dict) -> dict:
    services.job_progress(job_id, 50, "half way")
    return {"twice": params["n"] * 2}


@job_task
def _explode(job_id: str, params: dict) -> dict:
    raise ZeroDivisionError("division by zero in kernel")


@job_task
def _invalid(job_id: str, params: dict) -> dict:
    raise ValidationError({"symbol": ["unknown symbol 'XXX'"]})


@job_task
def _not_json(job_id: str, params: dict) -> object:
    return object()


def test_job_task_records_success(user):
    job = make_job(user)
    assert _double(str(job.pk), {"n": 21}) == {"twice": 42}
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.result == {"twice": 42} and job.progress == 100
    assert job.started_at <= job.finished_at


def test_job_task_keeps_the_error_and_reraises(user):
    job = make_job(user)
    with pytest.raises(ZeroDivisionError):
        _explode(str(job.pk), {})
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error == "ZeroDivisionError: division by zero in kernel"
    assert job.error_detail is None


def test_job_task_keeps_field_messages_of_invalid_input(user):
    job = make_job(user)
    with pytest.raises(ValidationError):
        _invalid(str(job.pk), {})
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error_detail == {"symbol": ["unknown symbol 'XXX'"]}


def test_a_result_that_is_not_json_fails_the_job(user):
    job = make_job(user)
    with pytest.raises(TypeError):
        _not_json(str(job.pk), {})
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "not JSON-serializable" in job.error


def test_a_finished_job_is_not_run_again(user):
    job = make_job(user, state=JobState.SUCCEEDED, result={"first": True})
    assert _double(str(job.pk), {"n": 1}) is None
    job.refresh_from_db()
    assert job.result == {"first": True}


def test_the_first_failure_wins(user):
    job = make_job(user, state=JobState.RUNNING)
    assert services.job_fail(job_id=str(job.pk), error="first")
    assert not services.job_fail(job_id=str(job.pk), error="second")
    assert not services.job_succeed(job_id=str(job.pk), result={"late": 1})
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error == "first" and job.result is None


def test_progress_is_clamped_and_throttled(user, monkeypatch):
    monkeypatch.setattr(services, "PROGRESS_MIN_INTERVAL_SECONDS", 3600)
    job = make_job(user, state=JobState.RUNNING)
    services.job_progress(str(job.pk), 10, "ten")
    services.job_progress(str(job.pk), 20, "twenty")  # inside the interval: skipped
    job.refresh_from_db()
    assert (job.progress, job.message) == (10, "ten")
    services.job_progress(str(job.pk), 250, "done")  # 100 % always gets through, clamped
    job.refresh_from_db()
    assert (job.progress, job.message) == (100, "done")


# --- job_response: the helper every engine API answers with ---------------------------------------


def _request(path: str = "/api/x") -> Request:
    return Request(APIRequestFactory().post(path))


def test_job_response_200_with_the_result_of_a_finished_job(user):
    job = make_job(user, state=JobState.SUCCEEDED, result={"var": 0.02})
    resp = job_response(_request(), job, wait_seconds=0)
    assert resp.status_code == 200 and resp.data == {"var": 0.02}


def test_job_response_202_with_location_for_an_unfinished_or_async_job(user):
    job = make_job(user, state=JobState.SUCCEEDED, result={"var": 0.02})
    resp = job_response(_request("/api/x?async=true"), job)
    assert resp.status_code == 202
    assert resp["Location"] == f"http://testserver/api/jobs/{job.pk}"
    pending = make_job(user)
    resp = job_response(_request(), pending, wait_seconds=0)
    assert resp.status_code == 202 and resp.data["state"] == "pending"
    assert resp["Location"].endswith(f"/api/jobs/{pending.pk}")


def test_job_response_400_for_invalid_input_502_for_other_failures(user):
    invalid = make_job(user, state=JobState.FAILED, error="ValidationError", error_detail={"qty": ["< 0"]})
    resp = job_response(_request(), invalid, wait_seconds=0)
    assert resp.status_code == 400 and resp.data == {"qty": ["< 0"]}
    broken = make_job(user, state=JobState.FAILED, error="ZeroDivisionError: boom")
    resp = job_response(_request(), broken, wait_seconds=0)
    assert resp.status_code == 502 and resp.data["error"] == "ZeroDivisionError: boom"


# --- POST /api/engines/{engine}/selftest: validation and access -----------------------------------


def test_selftest_validates_and_bounds_its_body(staff_client):
    resp = staff_client.post("/api/engines/risk/selftest", {"steps": 0, "step_seconds": 9}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()) == {"steps", "step_seconds"}
    resp = staff_client.post("/api/engines/risk/selftest", {"steps": 20, "step_seconds": 2}, format="json")
    assert resp.status_code == 400 and "step_seconds" in resp.json()
    assert Job.objects.count() == 0


def test_selftest_is_staff_only_and_knows_its_engines(api_client, anon_client, staff_client):
    body = {"steps": 1, "step_seconds": 0}
    assert anon_client.post("/api/engines/risk/selftest", body, format="json").status_code == 401
    assert api_client.post("/api/engines/risk/selftest", body, format="json").status_code == 403
    assert staff_client.post("/api/engines/nope/selftest", body, format="json").status_code == 404


def test_selftest_async_creates_a_pending_job(staff_client, staff_user):
    # The test transaction never commits, so nothing is enqueued: the job stays pending.
    resp = staff_client.post("/api/engines/factors/selftest?async=1", {"steps": 2}, format="json")
    assert resp.status_code == 202
    job = Job.objects.get(pk=resp.json()["id"])
    assert job.engine == "factors" and job.name == "apps.platform.tasks.selftest"
    assert job.params == {"steps": 2, "step_seconds": 0.2, "fail": False}
    assert job.created_by == staff_user
