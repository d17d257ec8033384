"""Builders for the A/B test and performance tests: a price model with two versions (distinct
LightGBM bundles), stored daily bars for its symbol, and records written straight to the table."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from apps.ml.models import ABTestArm, PredictionRecord
from apps.ml.services.versions import version_create
from tests.ml.serving import price_bundle, register, sp500_bars

SYMBOL = "SPX"
ROW = {"rsi_14@1": 61.0, "sma_10@1": 101.0, "roc_5@1": -0.5}


@pytest.fixture
def bundles():
    return price_bundle(seed=0), price_bundle(seed=1)


@pytest.fixture
def two_versions(bundles, user):
    """(model, v1, v2): v1 is champion."""
    model, v1 = register("ret", "price", "lightgbm", bundles[0], user=user)
    v2 = version_create(model=model, artifact=bundles[1], train_start=v1.train_start, train_end=v1.train_end)
    return model, v1, v2


@pytest.fixture
def bars():
    return sp500_bars(SYMBOL, rows=40)


def direct(bundle, row=ROW) -> float:
    """The reference prediction: the bundle's LightGBM model called on the row."""
    return float(bundle.estimator.predict(np.array([[row[f] for f in bundle.features]]))[0])


def pair_records(test, realized, pred_a, pred_b, *, start=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)):
    """One served record of arm 0 and one shadow record of arm 1 per row (same key and bar), realized."""
    arms = {a.position: a for a in ABTestArm.objects.filter(test=test)}
    records = []
    for i, (y, a, b) in enumerate(zip(realized, pred_a, pred_b, strict=True)):
        ts = start + dt.timedelta(days=i)
        for arm, role, p in ((arms[0], "served", a), (arms[1], "shadow", b)):
            records.append(
                PredictionRecord(
                    model_id=test.model_id,
                    version_id=arm.version_id,
                    test=test,
                    arm=arm,
                    role=role,
                    request_key=f"k{i}",
                    symbol=SYMBOL,
                    bar_ts=ts,
                    interval="1d",
                    horizon=test.horizon,
                    predicted_return=float(p),
                    lower_return=float(p) - 0.01,
                    upper_return=float(p) + 0.01,
                    realized_return=None if y is None else float(y),
                    realized_at=None if y is None else ts + dt.timedelta(days=test.horizon),
                )
            )
    PredictionRecord.objects.bulk_create(records)
