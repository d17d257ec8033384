"""The training job through a REAL Celery worker on the ml queue (real Redis broker): the API's
synchronous wait answers with the job's result, the job ends succeeded at 100 % with its progress
published, and the version, its artifact and the alias are there for every process to read."""

from __future__ import annotations

import numpy as np
import pytest

from apps.ml.models import ModelAlias, ModelVersion
from apps.ml.selectors.artifacts import version_artifact
from apps.platform import bus
from apps.platform.models import Job, JobState
from tests.platform.conftest import broker_purge, running_worker


@pytest.fixture
def ml_worker(celery_app, django_db_setup, django_db_blocker, settings):
    settings.JOB_SYNC_WAIT_SECONDS = 60  # the answer comes from the job, not from a race with it
    broker_purge()
    with django_db_blocker.unblock(), running_worker(celery_app, ["ml"]) as worker:
        yield worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_small_training_on_a_real_worker(ml_worker, staff_client, core_features, fresh_bus):
    body = {
        "name": "spy-ret",
        "kind": "price",
        "estimator": "lightgbm",
        "target": "return_5d",
        "feature_set": "core",
        "symbols": ["AAA", "BBB"],
        "hyperparameters": {"n_estimators": 10, "num_leaves": 4},
        "validation": {"method": "purged_kfold", "n_splits": 3, "embargo_pct": 0.01},
        "alias": "champion",
    }
    r = staff_client.post("/api/ml/models/train", body, format="json")
    assert r.status_code == 200, r.content
    result = r.json()
    version = ModelVersion.objects.get(model__name="spy-ret")
    assert (result["model"], result["version"], result["version_id"]) == ("spy-ret", 1, version.pk)
    assert result["metrics"]["validation"]["mean"] == version.metrics["validation"]["mean"]
    job = Job.objects.get(pk=r["X-Job-Id"])
    assert (job.state, job.progress, job.error) == (JobState.SUCCEEDED, 100, "")
    events = [e.payload for e in bus.subscribe(f"system.jobs.{job.pk}", last_id="0", follow=False)]
    messages = [e.get("message") for e in events if e.get("state") == JobState.RUNNING]
    assert "reading features and labels" in messages and events[-1]["state"] == JobState.SUCCEEDED
    assert ModelAlias.objects.get(model=version.model, name="champion").version == version
    bundle = version_artifact(version)  # the worker's file, checksum-checked here
    pred, lower, upper = bundle.predict(np.array([bundle.fill]))
    assert np.isfinite(pred).all() and (upper - lower)[0] == pytest.approx(2 * bundle.halfwidth)
