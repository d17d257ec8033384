"""version_create: numbering, the artifact on disk (checksummed independently here), what a version
records, bad input keyed by field, and nothing half-written when the write or the row fails."""

from __future__ import annotations

import hashlib
import math
import os

import joblib
import numpy as np
import pytest
import sklearn
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from apps.ml.models import ModelVersion
from apps.ml.services import artifacts as artifact_services
from apps.ml.services.versions import version_create

from ..conftest import T0, T1, files_under, fit, make_version

pytestmark = pytest.mark.django_db


def test_numbers_count_up_per_model(price_model, vol_model, xy):
    a1, a2 = make_version(price_model, xy), make_version(price_model, xy, alpha=3.0)
    b1 = make_version(vol_model, xy)
    assert (a1.number, a2.number, b1.number) == (1, 2, 1)


def test_the_artifact_file_is_the_registered_bytes_and_loads_as_the_fitted_model(
    price_model, xy, user, artifact_root
):
    fitted = fit(xy, 2.0)
    v = version_create(model=price_model, artifact=fitted, train_start=T0, train_end=T1, user=user)
    path = artifact_root / v.artifact_path
    data = path.read_bytes()
    assert v.artifact_sha256 == hashlib.sha256(data).hexdigest()
    assert v.artifact_bytes == len(data) == path.stat().st_size
    assert v.artifact_path == f"spy-ret-5d/v1-{v.artifact_sha256[:16]}.joblib"
    assert files_under(artifact_root) == [v.artifact_path]  # no temporary file left
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict(xy[0]), fitted.predict(xy[0]))
    stored = ModelVersion.objects.get(pk=v.pk)
    assert (stored.status, stored.train_start, stored.train_end, stored.trained_by) == ("ready", T0, T1, user)


def test_bytes_are_stored_as_given(price_model):
    v = version_create(model=price_model, artifact=b"\x80\x04K\x01.")
    assert v.artifact_sha256 == hashlib.sha256(b"\x80\x04K\x01.").hexdigest() and v.artifact_bytes == 5


def test_library_versions_default_to_those_installed(price_model, xy):
    v = make_version(price_model, xy)
    assert v.library_versions["numpy"] == np.__version__
    assert v.library_versions["scikit-learn"] == sklearn.__version__
    assert v.library_versions["joblib"] == joblib.__version__
    given = version_create(model=price_model, artifact=fit(xy), library_versions={"lightgbm": "4.5.0"})
    assert given.library_versions == {"lightgbm": "4.5.0"}


def test_metrics_are_stored_as_json_numpy_and_nan_included(price_model, xy):
    v = version_create(
        model=price_model,
        artifact=fit(xy),
        metrics={"rmse": np.float64(0.25), "n": np.int64(200), "ic": math.nan, "folds": [np.float32(0.5)]},
    )
    assert ModelVersion.objects.get(pk=v.pk).metrics == {"rmse": 0.25, "n": 200, "ic": None, "folds": [0.5]}


def test_a_failed_version_has_no_artifact_and_says_why(price_model, artifact_root):
    v = version_create(model=price_model, artifact=None, status="failed", error="not enough data")
    assert (v.number, v.status, v.artifact_path, v.artifact_sha256, v.artifact_bytes) == (
        1,
        "failed",
        "",
        "",
        None,
    )
    assert files_under(artifact_root) == []


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"artifact": None}, "artifact"),
        ({"status": "done"}, "status"),
        ({"status": "failed"}, "error"),
        ({"status": "failed", "artifact": None}, "error"),
        ({"error": "boom"}, "error"),
        ({"train_start": T0}, "train_end"),
        ({"train_end": T1}, "train_start"),
        ({"train_start": T1, "train_end": T0}, "train_end"),
        ({"train_start": T0, "train_end": T0}, "train_end"),
        ({"feature_set_version": 0}, "feature_set_version"),
        ({"hyperparameters": [1, 2]}, "hyperparameters"),
        ({"metrics": {"x": object()}}, "metrics"),
    ],
)
def test_bad_input_is_refused_by_field_and_writes_nothing(price_model, xy, artifact_root, kwargs, field):
    args = {"model": price_model, "artifact": fit(xy)} | kwargs
    with pytest.raises(ValidationError) as err:
        version_create(**args)
    assert field in err.value.message_dict
    assert ModelVersion.objects.count() == 0 and files_under(artifact_root) == []


def test_a_row_that_cannot_be_saved_leaves_no_file(price_model, xy, artifact_root):
    ghost = get_user_model()(username="ghost")  # never saved: the INSERT refuses it
    with pytest.raises(ValueError, match="unsaved related object"):
        version_create(model=price_model, artifact=fit(xy), user=ghost)
    assert ModelVersion.objects.count() == 0
    assert files_under(artifact_root) == []


def test_a_write_that_fails_leaves_no_file_and_no_row(price_model, xy, artifact_root, monkeypatch):
    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(artifact_services.os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        version_create(model=price_model, artifact=fit(xy))
    assert ModelVersion.objects.count() == 0
    assert files_under(artifact_root) == []


def test_a_failed_write_keeps_the_file_already_there(price_model, artifact_root, monkeypatch):
    artifact_services.artifact_write("m/a.joblib", b"first")

    def interrupted(fd):
        raise OSError(5, "I/O error")

    monkeypatch.setattr(artifact_services.os, "fsync", interrupted)
    with pytest.raises(OSError):
        artifact_services.artifact_write("m/a.joblib", b"second, never complete")
    assert (artifact_root / "m" / "a.joblib").read_bytes() == b"first"
    assert files_under(artifact_root) == ["m/a.joblib"]


def test_an_artifact_path_cannot_leave_the_root(artifact_root):
    for bad in ("../outside.joblib", "/etc/passwd", "a/../../b"):
        with pytest.raises(ValueError):
            artifact_services.artifact_write(bad, b"x")
    assert not os.path.exists(artifact_root.parent / "outside.joblib")
