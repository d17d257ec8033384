"""The ML admin: models read-mostly, versions and moves read-only, aliases moved through the service
(so an admin change is audited)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.ml.models import AliasMove, MLModel, ModelAlias, ModelVersion
from apps.ml.services.aliases import alias_move

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", ["mlmodel", "modelversion", "modelalias", "aliasmove", "abtest", "predictionrecord"]
)
def test_changelists_answer(admin_client, v1, model):
    alias_move(model=v1.model, name="champion", version=v1)
    assert admin_client.get(reverse(f"admin:ml_{model}_changelist")).status_code == 200


@pytest.mark.parametrize("model", ["mlmodel", "modelversion", "aliasmove", "abtest", "predictionrecord"])
def test_nothing_is_added_by_hand(admin_client, model):
    assert admin_client.get(reverse(f"admin:ml_{model}_add")).status_code == 403


def test_a_version_page_is_read_only(admin_client, v1):
    url = reverse("admin:ml_modelversion_change", args=[v1.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and v1.artifact_sha256.encode() in page.content
    assert admin_client.post(url, {"metrics": "{}"}).status_code == 403
    assert ModelVersion.objects.get(pk=v1.pk).metrics == v1.metrics


def test_only_the_description_of_a_model_is_edited(admin_client, price_model):
    url = reverse("admin:ml_mlmodel_change", args=[price_model.pk])
    form = {
        "description": "new words",
        "target": "changed",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }
    assert admin_client.post(url, form).status_code == 302
    m = MLModel.objects.get(pk=price_model.pk)
    assert (m.description, m.target) == ("new words", "return_5d")


def test_an_alias_moved_in_the_admin_is_audited(admin_client, admin_user, price_model, v1, v2):
    add = admin_client.post(
        reverse("admin:ml_modelalias_add"),
        {"model": price_model.pk, "name": "champion", "version": v1.pk, "reason": "first"},
    )
    assert add.status_code == 302, add.content
    alias = ModelAlias.objects.get(model=price_model, name="champion")
    change = admin_client.post(
        reverse("admin:ml_modelalias_change", args=[alias.pk]), {"version": v2.pk, "reason": "better"}
    )
    assert change.status_code == 302, change.content
    assert ModelAlias.objects.get(pk=alias.pk).version == v2
    assert [
        (m.from_version, m.to_version, m.reason, m.moved_by) for m in AliasMove.objects.order_by("id")
    ] == [
        (None, v1, "first", admin_user),
        (v1, v2, "better", admin_user),
    ]


def test_the_admin_refuses_an_alias_on_another_models_version(admin_client, price_model, vol_model, xy):
    from .conftest import make_version

    other = make_version(vol_model, xy)
    page = admin_client.post(
        reverse("admin:ml_modelalias_add"), {"model": price_model.pk, "name": "champion", "version": other.pk}
    )
    assert page.status_code == 200 and b"Pick a version of this model" in page.content
    assert not ModelAlias.objects.exists() and not AliasMove.objects.exists()


def test_deleting_an_alias_in_the_admin_is_audited(admin_client, price_model, v1):
    alias = alias_move(model=price_model, name="champion", version=v1).alias
    page = admin_client.post(reverse("admin:ml_modelalias_delete", args=[alias.pk]), {"post": "yes"})
    assert page.status_code == 302
    assert not ModelAlias.objects.exists()
    assert AliasMove.objects.filter(from_version=v1, to_version=None).count() == 1
