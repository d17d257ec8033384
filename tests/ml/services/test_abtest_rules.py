"""The database keeps the A/B invariants even when a service is bypassed: one running test per model,
positive weights, one arm per version, records of an arm carry their test and a realized outcome its
bar after the prediction's; stopping twice changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from apps.ml.models import ABTest, ABTestArm, PredictionRecord
from apps.ml.services.abtests import abtest_create, abtest_stop

pytestmark = pytest.mark.django_db
TS = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


@pytest.fixture
def test(two_versions):
    return abtest_create(model=two_versions[0], name="t", arms=[{"version": 1}, {"version": 2}], horizon=5)


def refused(create, **fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        create(**fields)


def test_one_running_test_per_model(test):
    refused(ABTest.objects.create, model=test.model, name="u", horizon=5)
    abtest_stop(test=test)
    ABTest.objects.create(model=test.model, name="u", horizon=5)


def test_weights_are_positive_and_a_version_is_one_arm(test, two_versions):
    refused(ABTestArm.objects.create, test=test, position=2, version=two_versions[1], weight=1)
    arm = ABTestArm.objects.get(test=test, position=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        ABTestArm.objects.filter(pk=arm.pk).update(weight=0)


def record(ab, **fields) -> dict:
    arm = ABTestArm.objects.get(test=ab, position=0)
    base = dict(
        model=ab.model,
        version=arm.version,
        test=ab,
        arm=arm,
        role="served",
        request_key="k",
        symbol="SPX",
        bar_ts=TS,
        interval="1d",
        horizon=5,
        predicted_return=0.0,
        lower_return=-0.1,
        upper_return=0.1,
    )
    return {**base, **fields}


def test_record_rules(test):
    PredictionRecord.objects.create(**record(test))
    refused(PredictionRecord.objects.create, **record(test, test=None))  # an arm without its test
    refused(PredictionRecord.objects.create, **record(test, role="plain"))
    refused(PredictionRecord.objects.create, **record(test, realized_return=0.1, realized_at=TS))
    refused(PredictionRecord.objects.create, **record(test, realized_return=0.1))
    refused(PredictionRecord.objects.create, **record(test, lower_return=0.2))


def test_stopping_twice_changes_nothing(test):
    first = abtest_stop(test=test)
    assert first.status == "stopped" and abtest_stop(test=test).stopped_at == first.stopped_at
