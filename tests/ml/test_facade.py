"""The facade other engines use: a version described by alias or number, and the loaded model only
after its checksum matched."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from apps.ml import facade
from apps.ml.services.aliases import alias_move
from apps.platform.exceptions import NotFoundError

from .conftest import T0, T1, fit

pytestmark = pytest.mark.django_db


def test_model_version_by_alias_and_by_number(price_model, v1, v2, user):
    alias_move(model=price_model, name="champion", version=v2)
    info = facade.model_version("spy-ret-5d", "champion")
    assert (info.model_id, info.model_name, info.version_id, info.number, info.alias) == (
        price_model.pk,
        "spy-ret-5d",
        v2.pk,
        2,
        "champion",
    )
    assert (info.kind, info.estimator, info.target, info.feature_set_name, info.feature_set_version) == (
        "price",
        "linear",
        "return_5d",
        "core",
        2,
    )
    assert (info.hyperparameters, info.metrics, info.artifact_sha256) == (
        {"alpha": 10.0},
        {"rmse": 0.1, "ic": 0.05},
        v2.artifact_sha256,
    )
    assert (info.train_start, info.train_end, info.status) == (T0, T1, "ready")
    by_number = facade.model_version(price_model.pk, 1)
    assert (by_number.version_id, by_number.alias) == (v1.pk, None)


def test_the_description_is_frozen_and_a_copy(price_model, v1):
    info = facade.model_version("spy-ret-5d", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.number = 2
    info.metrics["rmse"] = 99.0
    assert facade.model_version("spy-ret-5d", 1).metrics["rmse"] == 0.1


def test_model_load_returns_the_fitted_model(price_model, v1, xy):
    alias_move(model=price_model, name="champion", version=v1)
    loaded = facade.model_load("spy-ret-5d", "champion")
    np.testing.assert_array_equal(loaded.predict(xy[0]), fit(xy, 1.0).predict(xy[0]))


def test_a_tampered_artifact_is_never_loaded(price_model, v1, artifact_root):
    (artifact_root / v1.artifact_path).write_bytes(b"tampered")
    with pytest.raises(facade.ArtifactRefused):
        facade.model_load("spy-ret-5d", 1)
    assert [f.version_id for f in facade.artifact_failures()] == [v1.pk]


@pytest.mark.parametrize("model,ref", [("nope", 1), ("spy-ret-5d", 7), ("spy-ret-5d", "champion")])
def test_unknown_models_versions_and_aliases_are_not_found(price_model, v1, model, ref):
    with pytest.raises(NotFoundError):
        facade.model_version(model, ref)
    with pytest.raises(NotFoundError):
        facade.model_load(model, ref)
