"""alias_move / alias_delete: every change is an audit row and, after the commit, an event on
`ml.models.{name}` read back from the bus; a move onto the same version changes nothing; versions of
another model, failed or unknown versions and bad names are refused by field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.ml.models import AliasMove, ModelAlias
from apps.ml.selectors.aliases import AliasNotFound, alias_history
from apps.ml.services.aliases import alias_delete, alias_move
from apps.ml.services.versions import version_create
from apps.platform import bus

from ..conftest import make_version

pytestmark = pytest.mark.django_db


def _events():
    return [(e.topic, e.payload) for e in bus.subscribe("ml.models.*", last_id="0", follow=False)]


def test_moves_are_audited_and_published_after_commit(
    price_model, v1, v2, user, fresh_bus, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as pending:
        created = alias_move(model=price_model, name="champion", version=v1, user=user, reason="first fit")
    assert created.created and created.alias.version == v1
    assert _events() == []  # nothing on the bus before the commit
    for callback in pending:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        moved = alias_move(model=price_model, name="champion", version=2, user=user, reason="better IC")
    assert not moved.created and ModelAlias.objects.get(model=price_model, name="champion").version == v2

    rows = list(alias_history(price_model, "champion"))
    assert [(m.from_version, m.to_version, m.reason, m.moved_by) for m in rows] == [
        (v1, v2, "better IC", user),
        (None, v1, "first fit", user),
    ]
    (t1, first), (t2, second) = _events()
    assert t1 == t2 == "ml.models.spy-ret-5d"
    assert {k: first[k] for k in ("model", "alias", "from_version", "to_version")} == {
        "model": "spy-ret-5d",
        "alias": "champion",
        "from_version": None,
        "to_version": 1,
    }
    assert {k: second[k] for k in ("model", "alias", "from_version", "to_version", "reason", "moved_by")} == {
        "model": "spy-ret-5d",
        "alias": "champion",
        "from_version": 1,
        "to_version": 2,
        "reason": "better IC",
        "moved_by": "alice",
    }
    assert second["move_id"] == rows[0].pk


def test_a_rolled_back_move_publishes_nothing(price_model, v1, fresh_bus, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as pending:
        alias_move(model=price_model, name="champion", version=v1)
    assert len(pending) == 1  # held for the commit; a rollback discards it
    assert _events() == []


def test_moving_onto_the_version_it_names_changes_nothing(
    price_model, v1, fresh_bus, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        alias_move(model=price_model, name="champion", version=v1)
        again = alias_move(model=price_model, name="champion", version=v1, reason="again")
    assert again.move is None and not again.created
    assert AliasMove.objects.count() == 1 and len(_events()) == 1


def test_aliases_of_one_model_are_independent(price_model, v1, v2):
    alias_move(model=price_model, name="champion", version=v1)
    alias_move(model=price_model, name="challenger", version=v2)
    assert dict(ModelAlias.objects.values_list("name", "version__number")) == {"champion": 1, "challenger": 2}


def test_a_version_of_another_model_is_refused(price_model, vol_model, v1, xy):
    other = make_version(vol_model, xy)
    with pytest.raises(ValidationError) as err:
        alias_move(model=price_model, name="champion", version=other)
    assert "version" in err.value.message_dict
    assert not ModelAlias.objects.exists() and not AliasMove.objects.exists()


@pytest.mark.parametrize("version", [3, 0, -1, "1", 1.0, True, None])
def test_unknown_or_malformed_versions_are_refused(price_model, v1, version):
    with pytest.raises(ValidationError) as err:
        alias_move(model=price_model, name="champion", version=version)
    assert "version" in err.value.message_dict


def test_a_failed_version_cannot_be_aliased(price_model, v1):
    failed = version_create(model=price_model, artifact=None, status="failed", error="diverged")
    with pytest.raises(ValidationError, match="failed, not ready"):
        alias_move(model=price_model, name="champion", version=failed.number)


@pytest.mark.parametrize("name", ["", "Champion", "1st", "with space", "dot.ted", "x" * 65])
def test_bad_alias_names_are_refused(price_model, v1, name):
    with pytest.raises(ValidationError) as err:
        alias_move(model=price_model, name=name, version=v1)
    assert "name" in err.value.message_dict


def test_deleting_an_alias_is_audited_published_and_keeps_the_history(
    price_model, v1, user, fresh_bus, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        alias_move(model=price_model, name="champion", version=v1, user=user)
        alias_delete(model=price_model, name="champion", user=user, reason="retired")
    assert not ModelAlias.objects.exists()
    assert [(m.from_version, m.to_version) for m in alias_history(price_model, "champion")] == [
        (v1, None),
        (None, v1),
    ]
    assert [(p["from_version"], p["to_version"]) for _, p in _events()] == [(None, 1), (1, None)]
    with pytest.raises(AliasNotFound):
        alias_delete(model=price_model, name="champion")
