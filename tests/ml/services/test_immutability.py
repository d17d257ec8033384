"""Versions and alias moves cannot change once written: refused by save(), by QuerySet.update() and
bulk_update(), and — on PostgreSQL — by the database for raw SQL. And the database's own checks:
the rules a row must keep, and an alias only on versions of its own model."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, connection, transaction

from apps.ml.models import AliasMove, ImmutableRecordError, MLModel, ModelAlias, ModelVersion
from apps.ml.services.aliases import alias_move

from ..conftest import make_version

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")


def test_saving_a_stored_version_is_refused(v1):
    v = ModelVersion.objects.get(pk=v1.pk)
    v.metrics = {"rmse": 0.0}
    with pytest.raises(ImmutableRecordError):
        v.save()
    with pytest.raises(ImmutableRecordError):
        v.save(update_fields=["metrics"])
    assert ModelVersion.objects.get(pk=v1.pk).metrics == {"rmse": 0.1, "ic": 0.05}


def test_queryset_updates_are_refused(v1):
    with pytest.raises(ImmutableRecordError):
        ModelVersion.objects.filter(pk=v1.pk).update(metrics={"rmse": 0.0})
    with pytest.raises(ImmutableRecordError):
        ModelVersion.objects.update(metrics={"rmse": 0.0})  # the manager's too
    with pytest.raises(ImmutableRecordError):
        ModelVersion.objects.update_or_create(pk=v1.pk, defaults={"metrics": {}})
    v = ModelVersion.objects.get(pk=v1.pk)
    v.hyperparameters = {"alpha": 99}
    with pytest.raises(ImmutableRecordError):
        ModelVersion.objects.bulk_update([v], ["hyperparameters"])
    assert ModelVersion.objects.get(pk=v1.pk).hyperparameters == {"alpha": 1.0}


@postgresql_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ml_model_version SET metrics = '{}'::jsonb WHERE id = %s",
        "UPDATE ml_model_version SET artifact_sha256 = repeat('0', 64) WHERE id = %s",
        "UPDATE ml_model_version SET number = number WHERE id = %s",  # even a no-op rewrite
    ],
)
def test_raw_sql_updates_of_a_version_fail_in_the_database(v1, sql):
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, [v1.pk])
    with connection.cursor() as cur:
        cur.execute("SELECT metrics, artifact_sha256 FROM ml_model_version WHERE id = %s", [v1.pk])
        metrics, sha = cur.fetchone()
    assert json.loads(metrics) == v1.metrics  # Django has psycopg hand jsonb over as text
    assert sha == v1.artifact_sha256


@postgresql_only
def test_raw_sql_updates_of_an_alias_move_fail_in_the_database(price_model, v1, v2, user):
    move = alias_move(model=price_model, name="champion", version=v1, user=user, reason="first").move
    with pytest.raises(ImmutableRecordError):
        AliasMove.objects.filter(pk=move.pk).update(reason="rewritten")
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE ml_alias_move SET reason = 'rewritten' WHERE id = %s", [move.pk])
    assert AliasMove.objects.get(pk=move.pk).reason == "first"


def _immediately(fn):
    """Run `fn` in a savepoint with every deferred constraint checked at once."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        fn()


@postgresql_only
def test_an_alias_cannot_name_another_models_version(price_model, vol_model, xy):
    other = make_version(vol_model, xy)
    with pytest.raises(IntegrityError):
        _immediately(lambda: ModelAlias.objects.create(model=price_model, name="champion", version=other))
    with pytest.raises(IntegrityError):
        _immediately(lambda: AliasMove.objects.create(model=price_model, alias="champion", to_version=other))


@pytest.mark.parametrize(
    "fields",
    [
        {"estimator": "garch"},  # not a price estimator
        {"kind": "weather"},
        {"name": "9lives"},  # digits first: would read as an id
        {"name": "Upper"},
        {"target": ""},
        {"feature_set_name": "core", "feature_set_version": None},
        {"feature_set_name": "", "feature_set_version": 3},
    ],
)
def test_the_database_refuses_a_model_breaking_its_rules(fields):
    row = {"name": "m", "kind": "price", "estimator": "linear", "target": "return_1d"} | fields
    with pytest.raises(IntegrityError), transaction.atomic():
        MLModel.objects.create(**row)


@pytest.mark.parametrize(
    "fields",
    [
        {"artifact_sha256": "abc"},
        {"artifact_path": ""},
        {"artifact_path": "/etc/passwd"},
        {"artifact_path": "../x.joblib"},
        {"artifact_bytes": None},
        {"error": "ready but with an error"},
        {"status": "failed"},  # a failed version with an artifact and no error
        {"number": 0},
        {"train_end": None},
    ],
)
def test_the_database_refuses_a_version_breaking_its_rules(price_model, fields):
    row = {
        "model": price_model,
        "number": 1,
        "status": "ready",
        "artifact_path": "m/v1.joblib",
        "artifact_sha256": "0" * 64,
        "artifact_bytes": 10,
        "train_start": "2020-01-01T00:00:00Z",
        "train_end": "2021-01-01T00:00:00Z",
    } | fields
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.create(**row)


def test_a_move_must_change_something(price_model, v1):
    for row in ({}, {"from_version": v1, "to_version": v1}):
        with pytest.raises(IntegrityError), transaction.atomic():
            AliasMove.objects.create(model=price_model, alias="champion", **row)
