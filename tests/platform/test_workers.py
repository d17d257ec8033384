"""Real Celery worker on real Redis and PostgreSQL: routing to all nine queues, and jobs end to end
through the API (202 → running → succeeded, sync 200, a failure that keeps its error)."""

from __future__ import annotations

import time

import pytest

from apps.platform.models import Job, JobState
from apps.platform.queues import last_tasks
from workers.registry import ENGINES

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clean_broker"),
]

POLL_LIMIT_SECONDS = 30  # a bound so a broken worker fails the test instead of hanging it


def poll_job(client, url: str, *, until=frozenset({"succeeded", "failed", "cancelled"})) -> tuple[dict, list]:
    """Poll a job URL until it reaches a state in `until`; returns the last document and every
    distinct (state, progress) seen, in order."""
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while True:
        resp = client.get(url)
        assert resp.status_code == 200, resp.content
        doc = resp.json()
        if not seen or seen[-1] != (doc["state"], doc["progress"]):
            seen.append((doc["state"], doc["progress"]))
        if doc["state"] in until:
            return doc, seen
        assert time.monotonic() < deadline, f"job stuck: {seen}"
        time.sleep(0.02)


def test_a_ping_routed_to_each_engine_queue_runs_on_a_real_worker(celery_app, worker_all_queues):
    # No queue given: the registry's router picks the engine's queue from the task name.
    results = {e.key: celery_app.send_task(f"apps.{e.key}.tasks.ping") for e in ENGINES}
    for key, res in results.items():
        assert res.get(timeout=POLL_LIMIT_SECONDS) == {"engine": key, "ok": True}
    # The worker recorded the queue each task was delivered on: every engine saw its own ping. The
    # record is written in task_postrun, after the result is stored: a result may arrive first.
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    last = last_tasks([e.key for e in ENGINES])
    while any(v is None for v in last.values()) and time.monotonic() < deadline:
        time.sleep(0.02)
        last = last_tasks([e.key for e in ENGINES])
    for e in ENGINES:
        assert last[e.key] is not None, e.key
        assert last[e.key]["name"] == f"apps.{e.key}.tasks.ping"
        assert last[e.key]["state"] == "succeeded"


def test_selftest_job_goes_202_running_succeeded_through_the_api(staff_client, worker_all_queues):
    resp = staff_client.post(
        "/api/engines/analytics/selftest?async=true", {"steps": 4, "step_seconds": 0.25}, format="json"
    )
    assert resp.status_code == 202, resp.content
    body = resp.json()
    assert body["state"] == "pending" and body["engine"] == "analytics"
    location = resp["Location"]
    assert location.endswith(f"/api/jobs/{body['id']}")

    doc, seen = poll_job(staff_client, location)

    states = [s for s, _ in seen]
    assert "running" in states, seen
    assert states[-1] == "succeeded"
    progresses = [p for _, p in seen]
    assert progresses == sorted(progresses), "progress never goes backwards"
    assert doc["progress"] == 100
    assert doc["result"]["steps"] == 4
    assert "error" not in doc
    assert doc["started_at"] and doc["finished_at"] and doc["duration_seconds"] > 0
    job = Job.objects.get(pk=body["id"])
    assert job.celery_task_id == body["id"]


def test_a_small_job_answers_200_with_its_result(staff_client, worker_all_queues):
    resp = staff_client.post("/api/engines/risk/selftest", {"steps": 1, "step_seconds": 0}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["steps"] == 1
    job = Job.objects.get(pk=resp["X-Job-Id"])
    assert job.state == JobState.SUCCEEDED and job.engine == "risk"


def test_a_job_longer_than_the_sync_wait_answers_202(staff_client, worker_all_queues, settings):
    settings.JOB_SYNC_WAIT_SECONDS = 0.05
    resp = staff_client.post("/api/engines/ml/selftest", {"steps": 2, "step_seconds": 0.5}, format="json")
    assert resp.status_code == 202, resp.content
    doc, _ = poll_job(staff_client, resp["Location"])  # let the worker finish before the next test
    assert doc["state"] == "succeeded"


def test_a_failing_job_keeps_its_error(staff_client, worker_all_queues):
    resp = staff_client.post(
        "/api/engines/portfolio/selftest", {"steps": 2, "step_seconds": 0, "fail": True}, format="json"
    )
    assert resp.status_code == 502, resp.content
    assert resp.json()["state"] == "failed"
    doc, _ = poll_job(staff_client, f"/api/jobs/{resp['X-Job-Id']}")
    assert doc["state"] == "failed"
    assert doc["error"] == "SelftestFailure: selftest asked to fail after 2 steps"
    assert "result" not in doc
    # The Celery failure (signals, metrics) did not overwrite the first error with another one.
    assert Job.objects.get(pk=doc["id"]).error == doc["error"]
    # task_postrun records the task after its result is stored (as in the routing test): wait for it;
    # until then the record may still be the previous test's succeeded selftest.
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    last = last_tasks(["portfolio"])["portfolio"]
    while (last is None or last["state"] != "failed") and time.monotonic() < deadline:
        time.sleep(0.02)
        last = last_tasks(["portfolio"])["portfolio"]
    assert last is not None and last["state"] == "failed"
