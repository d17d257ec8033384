"""The registry's reads: a model by id or name, versions by number or alias, alias history."""

from __future__ import annotations

import pytest

from apps.ml.selectors.aliases import AliasNotFound, alias_history
from apps.ml.selectors.ml_models import ModelNotFound, model_detail, model_get, models_list
from apps.ml.selectors.versions import VersionNotFound, version_get, version_resolve
from apps.ml.services.aliases import alias_move

pytestmark = pytest.mark.django_db


def test_a_model_is_found_by_id_or_name(price_model):
    assert (
        model_get(price_model.pk) == model_get(str(price_model.pk)) == model_get("spy-ret-5d") == price_model
    )
    for ref in ("nope", "999999", "9" * 30, "-1", "²", "١٢"):  # non-ASCII digits are no id
        with pytest.raises(ModelNotFound):
            model_get(ref)


def test_models_list_filters_by_kind(price_model, vol_model):
    assert list(models_list()) == [price_model, vol_model]
    assert list(models_list(kind="volatility")) == [vol_model]


def test_versions_resolve_by_number_or_alias(price_model, v1, v2):
    alias_move(model=price_model, name="champion", version=v1)
    assert version_resolve(price_model, 2) == (v2, None)
    assert version_resolve(price_model, "2") == (v2, None)
    assert version_resolve(price_model, "champion") == (v1, "champion")
    for ref in (3, "challenger", 0, 2**40, "²"):
        with pytest.raises(VersionNotFound):
            version_resolve(price_model, ref)
    with pytest.raises(VersionNotFound):
        version_get(price_model, 9)


def test_model_detail_reads_versions_and_aliases_in_a_fixed_number_of_queries(
    price_model, v1, v2, django_assert_num_queries
):
    alias_move(model=price_model, name="champion", version=v2)
    with django_assert_num_queries(3):  # the model, its versions, its aliases with their versions
        m = model_detail("spy-ret-5d")
        assert [v.number for v in m.versions.all()] == [1, 2]
        assert [(a.name, a.version.number) for a in m.aliases.all()] == [("champion", 2)]


def test_history_of_an_alias_that_never_existed_is_not_found(price_model, v1):
    with pytest.raises(AliasNotFound):
        alias_history(price_model, "champion")
