"""POST /api/ml/models/train: 400 naming the field for every bad body (the serializer's shapes and the
service's meanings) with no job started, 401/403, and the job: 202 with its URL, its params the
body; run in process with JSON-round-tripped params (as the worker receives them) it registers the
version and its result names the model, version and metrics; a data problem fails the job with the
field messages. The same job through a real worker is tests/ml/tasks/test_training.py."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError

from apps.ml.models import ModelAlias, ModelVersion
from apps.ml.tasks.training import TRAIN, train
from apps.platform.models import Job, JobState

pytestmark = pytest.mark.django_db
URL = "/api/ml/models/train"
BODY = {
    "name": "spy-ret",
    "kind": "price",
    "estimator": "linear",
    "target": "return_5d",
    "feature_set": "core",
    "symbols": ["AAA", "BBB"],
    "hyperparameters": {"alpha": 2.0},
    "validation": {"method": "walk_forward", "n_splits": 3},
    "alpha": 0.2,
    "seed": 1,
}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({k: v for k, v in BODY.items() if k != "name"}, "name", "required"),
        ({**BODY, "kind": "weather"}, "kind", "not a valid choice"),
        ({**BODY, "estimator": "xgboost"}, "estimator", "not a valid choice"),
        ({**BODY, "estimator": "garch"}, "estimator", "a price model uses one of"),
        ({**BODY, "symbols": "AAA"}, "symbols", "list"),
        ({**BODY, "symbols": ["ZZZ"]}, "symbols", "unknown symbol(s): ZZZ"),
        ({**BODY, "feature_set": "nope"}, "feature_set", "nope"),
        ({**BODY, "start": "yesterday"}, "start", "ISO"),
        ({**BODY, "hyperparameters": {"alpha": 0}}, "hyperparameters", "alpha: must be between"),
        ({**BODY, "hyperparameters": "strong"}, "hyperparameters", "dictionary"),
        ({**BODY, "validation": {"method": "shuffle"}}, "validation", "method"),
        ({**BODY, "automl": {"trials": 1000}}, "automl", "trials"),
        ({**BODY, "alpha": "small"}, "alpha", "number"),
        ({**BODY, "seed": -3}, "seed", "greater than or equal to 0"),
        ({**BODY, "target": "return_5"}, "target", "return_{h}d"),
        ({**BODY, "texts": ["a"]}, "texts", "not used"),
    ],
)
def test_bad_bodies_are_400_with_the_field_and_start_no_job(api_client, registered, body, field, message):
    r = api_client.post(URL, body, format="json")
    assert r.status_code == 400, r.content
    assert message in " ".join(map(str, r.json()[field]))
    assert not Job.objects.exists()


def test_the_lstm_without_torch_is_400_on_estimator_and_starts_no_job(api_client, registered, monkeypatch):
    # Simulates an install without the `lstm` extra (PyTorch) whether or not this one has it.
    monkeypatch.setattr("apps.ml.kernels.lstm.available", lambda: False)
    body = {**BODY, "estimator": "lstm", "hyperparameters": {"lookback": 5}}
    r = api_client.post(f"{URL}?async=1", body, format="json")
    assert r.status_code == 400, r.json()
    assert "install the lstm extra" in r.json()["estimator"][0]
    assert not Job.objects.exists()


def test_anonymous_is_401(anon_client):
    assert anon_client.post(URL, BODY, format="json").status_code == 401


def test_moving_an_alias_needs_the_alias_permission(api_client, user, registered):
    r = api_client.post(URL, {**BODY, "alias": "champion"}, format="json")
    assert r.status_code == 403 and "ml.change_modelalias" in r.json()["detail"]
    assert not Job.objects.exists()
    user.user_permissions.add(
        Permission.objects.get(codename="change_modelalias", content_type__app_label="ml")
    )
    assert api_client.post(f"{URL}?async=1", {**BODY, "alias": "champion"}, format="json").status_code == 202


def run_job(job: Job) -> None:
    """The task as the worker runs it: kwargs through JSON."""
    kwargs = json.loads(json.dumps({"job_id": str(job.pk), "params": job.params}))
    train(**kwargs)


def test_the_job_trains_a_version_and_its_result_names_it(staff_client, staff_user, core_features):
    r = staff_client.post(f"{URL}?async=1", {**BODY, "alias": "champion"}, format="json")
    assert r.status_code == 202, r.content
    job = Job.objects.get(pk=r["X-Job-Id"])
    assert r["Location"].endswith(f"/api/jobs/{job.pk}")
    assert (job.engine, job.name, job.state, job.created_by) == ("ml", TRAIN, JobState.PENDING, staff_user)
    assert job.params == {**BODY, "alias": "champion"}
    run_job(job)
    job.refresh_from_db()
    assert (job.state, job.progress) == (JobState.SUCCEEDED, 100)
    version = ModelVersion.objects.get(model__name="spy-ret")
    result = staff_client.get(f"/api/jobs/{job.pk}").json()["result"]
    assert (result["model_id"], result["version"], result["alias"]) == (version.model_id, 1, "champion")
    assert result["metrics"] == version.metrics and result["metrics"]["training"]["job_id"] == str(job.pk)
    assert version.trained_by == staff_user
    assert ModelAlias.objects.get(model=version.model, name="champion").version == version
    # A redelivered message of the finished job does nothing; the same job run again would not
    # train twice either (the service finds the job's version).
    run_job(job)
    assert ModelVersion.objects.count() == 1


def test_a_data_problem_fails_the_job_with_the_field(api_client, core_features, market):
    end = market["AAA"].index[40].isoformat()
    r = api_client.post(f"{URL}?async=1", {**BODY, "end": end}, format="json")
    assert r.status_code == 202
    job = Job.objects.get(pk=r["X-Job-Id"])
    with pytest.raises(ValidationError):
        run_job(job)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "samples" in job.error_detail["start"][0]
    assert not ModelVersion.objects.exists()
