"""Data of the ML bench: synthetic feature rows with a return to learn, a LightGBM price bundle fitted
on them with the kernels' default hyperparameters, registered under a BENCHML tag, a universe of
instruments whose latest feature values are in the online store, and the clean-up of all of it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import connection

from apps.features.models import BLOCK_WIDTH, FeatureColumns, FeatureDefinition
from apps.features.services.definitions import definition_save
from apps.features.services.store import InstrumentValues, store_write
from apps.marketdata.models import Instrument

from ..kernels import estimators
from ..kernels.bundles import PriceBundle
from ..kernels.conformal import split_conformal_halfwidth
from ..models import MLModel
from ..services.aliases import alias_delete, alias_move
from ..services.ml_models import model_create, model_delete
from ..services.versions import version_create

SEED = 23
ALPHA = 0.1
STORED_BARS = 5


def synthetic(n: int, k: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(X (n, k), y (n,)): standard-normal features and a forward return driven by a few of them,
    non-linearly, plus noise (what a return model faces: a weak signal)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, k))
    signal = 0.004 * X[:, 0] - 0.003 * np.tanh(X[:, 1] * X[:, 2]) + 0.002 * (X[:, 3] > 1)
    return X, signal + rng.normal(0.0, 0.02, n)


@dataclass
class Fixture:
    tag: str
    model_name: str
    bundle: PriceBundle
    symbols: list[str]
    instruments: list
    definitions: list[FeatureDefinition]
    username: str


def fixture_build(*, tag: str | None = None, train_rows: int, features: int, instruments: int) -> Fixture:
    """Feature definitions, `instruments` instruments with STORED_BARS bars of values in the store,
    and a registered LightGBM bundle (default hyperparameters) over those features, aliased champion."""
    tag = tag or uuid.uuid4().hex[:6].upper()
    low = tag.lower()
    definitions = [
        definition_save(name=f"benchml_{low}_{j}", function="SMA", params={"timeperiod": 2 + j})
        for j in range(features)
    ]
    labels = tuple(d.label for d in definitions)
    X, y = synthetic(train_rows, features)
    fit_rows = int(train_rows * 0.75)
    model = estimators.fit("lightgbm", None, X[:fit_rows], y[:fit_rows], seed=SEED)
    halfwidth = split_conformal_halfwidth(y[fit_rows:], estimators.predict(model, X[fit_rows:]), ALPHA)
    bundle = PriceBundle(
        estimator_kind="lightgbm",
        estimator=model,
        features=labels,
        fill=tuple(np.median(X[:fit_rows], axis=0).tolist()),
        target="return_5d",
        horizon=5,
        interval="1d",
        alpha=ALPHA,
        halfwidth=float(halfwidth),
    )
    registered = model_create(name=f"benchml-{low}", kind="price", estimator="lightgbm", target="return_5d")
    version = version_create(
        model=registered, artifact=bundle, hyperparameters=estimators.KINDS["lightgbm"].defaults()
    )
    alias_move(model=registered, name="champion", version=version, reason="bench")

    rows = Instrument.objects.bulk_create(
        [Instrument(symbol=f"BENCHML{tag}{i:04d}") for i in range(instruments)]
    )
    ts = pd.date_range(end="2024-12-31", periods=STORED_BARS, freq="D").to_numpy(dtype="datetime64[ns]")
    rng = np.random.default_rng(SEED)
    for start in range(0, features, BLOCK_WIDTH):
        block = definitions[start : start + BLOCK_WIDTH]
        store_write(
            block,
            {
                i.pk: InstrumentValues(ts=ts, values=rng.standard_normal((STORED_BARS, len(block))))
                for i in rows
            },
        )
    return Fixture(
        tag=tag,
        model_name=registered.name,
        bundle=bundle,
        symbols=[i.symbol for i in rows],
        instruments=rows,
        definitions=definitions,
        username=f"benchml_{low}",
    )


def fixture_cleanup(fx: Fixture) -> None:
    model = MLModel.objects.filter(name=fx.model_name).first()
    if model is not None:
        for alias in list(model.aliases.values_list("name", flat=True)):
            alias_delete(model=model, name=alias, reason="bench")
        model_delete(model=model)
    ids = [d.pk for d in fx.definitions]
    blocks = list(FeatureColumns.objects.filter(definition_ids__overlap=ids).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM features_latest WHERE definition_id = ANY(%s::bigint[])", [ids])
        cursor.execute("DELETE FROM features_series WHERE definition_id = ANY(%s::bigint[])", [ids])
        cursor.execute("DELETE FROM features_row WHERE columns_id = ANY(%s::int[])", [blocks])
    FeatureColumns.objects.filter(pk__in=blocks).delete()
    FeatureDefinition.objects.filter(pk__in=ids).delete()
    Instrument.objects.filter(pk__in=[i.pk for i in fx.instruments]).delete()
    get_user_model().objects.filter(username=fx.username).delete()
