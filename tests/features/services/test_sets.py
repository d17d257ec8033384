"""set_create: members pinned to versions, unknown members and taken names refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.features.models import FeatureSet
from apps.features.services.definitions import definition_save
from apps.features.services.sets import set_create

pytestmark = pytest.mark.django_db


def labels(fs) -> list[str]:
    return sorted(m.label for m in fs.members.all())


def test_a_set_pins_the_versions_it_was_created_with(user):
    definition_save(name="rsi_14", function="RSI")
    definition_save(name="vol", function="parkinson_volatility")
    definition_save(name="vol", function="parkinson_volatility", params={"window": 60})
    fs = set_create(name="momentum", features=["rsi_14", "vol@1"], description="d", user=user)
    assert labels(fs) == ["rsi_14@1", "vol@1"] and fs.created_by == user
    # rsi_14 gets a v2 later: the set still holds v1.
    assert definition_save(name="rsi_14", function="RSI", params={"timeperiod": 9}).version == 2
    assert labels(FeatureSet.objects.get(name="momentum")) == ["rsi_14@1", "vol@1"]
    # "name" means the latest version at creation time.
    assert labels(set_create(name="later", features=["rsi_14", "vol"])) == ["rsi_14@2", "vol@2"]


def test_unknown_members_are_all_named():
    definition_save(name="rsi_14", function="RSI")
    with pytest.raises(ValidationError) as err:
        set_create(name="s", features=["rsi_14", "nope", "rsi_14@7", "Bad Name"])
    message = err.value.message_dict["features"][0]
    assert "nope" in message and "rsi_14@7" in message and "Bad Name" in message
    assert "rsi_14," not in message.replace("rsi_14@7", "")
    assert not FeatureSet.objects.exists()


def test_a_taken_or_bad_name_is_a_name_error():
    definition_save(name="rsi_14", function="RSI")
    set_create(name="s", features=["rsi_14"])
    with pytest.raises(ValidationError) as err:
        set_create(name="s", features=["rsi_14"])
    assert err.value.message_dict == {"name": ["exists"]}
    with pytest.raises(ValidationError) as err:
        set_create(name="Not A Slug", features=["rsi_14"])
    assert list(err.value.message_dict) == ["name"]
    with pytest.raises(ValidationError) as err:
        set_create(name="empty", features=[])
    assert list(err.value.message_dict) == ["features"]
