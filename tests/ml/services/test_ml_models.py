"""model_create refuses bad input by field; model_delete refuses while aliases serve the model, and
otherwise removes its versions, history and (after the commit) artifact files."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.ml.models import AliasMove, MLModel, ModelVersion
from apps.ml.services.aliases import alias_delete, alias_move
from apps.ml.services.ml_models import model_create, model_delete

from ..conftest import files_under

pytestmark = pytest.mark.django_db


def test_a_model_is_registered_with_what_it_reads(price_model, user):
    m = MLModel.objects.get(pk=price_model.pk)
    assert (
        m.name,
        m.kind,
        m.estimator,
        m.target,
        m.feature_set_name,
        m.feature_set_version,
        m.created_by,
    ) == (
        "spy-ret-5d",
        "price",
        "linear",
        "return_5d",
        "core",
        2,
        user,
    )


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"kind": "weather"}, "kind"),
        ({"estimator": "garch"}, "estimator"),  # a volatility family on a price model
        ({"name": "7day"}, "name"),
        ({"name": "Has Caps"}, "name"),
        ({"name": "spy-ret-5d"}, "name"),  # taken
        ({"target": " "}, "target"),
        ({"feature_set_name": "core"}, "feature_set_version"),
        ({"feature_set_version": 1}, "feature_set_version"),
        ({"feature_set_name": "core", "feature_set_version": 0}, "feature_set_version"),
    ],
)
def test_bad_input_is_refused_by_field(price_model, fields, field):
    row = {"name": "other", "kind": "price", "estimator": "lightgbm", "target": "return_1d"} | fields
    with pytest.raises(ValidationError) as err:
        model_create(**row)
    assert field in err.value.message_dict
    assert MLModel.objects.count() == 1


def test_a_model_served_by_an_alias_is_not_deleted(price_model, v1, artifact_root):
    alias_move(model=price_model, name="champion", version=v1)
    with pytest.raises(ValidationError, match="champion") as err:
        model_delete(model=price_model)
    assert "aliases" in err.value.message_dict
    assert MLModel.objects.filter(pk=price_model.pk).exists() and (artifact_root / v1.artifact_path).exists()


def test_deleting_removes_versions_history_and_files_after_commit(
    price_model, v1, v2, artifact_root, django_capture_on_commit_callbacks
):
    alias_move(model=price_model, name="champion", version=v1)
    alias_delete(model=price_model, name="champion")
    with django_capture_on_commit_callbacks() as pending:
        model_delete(model=price_model)
    assert (
        not MLModel.objects.exists() and not ModelVersion.objects.exists() and not AliasMove.objects.exists()
    )
    assert len(files_under(artifact_root)) == 2  # still there until the deletion commits
    for callback in pending:
        callback()
    assert files_under(artifact_root) == []
