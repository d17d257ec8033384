"""The ML part of load_demo, after the features part: a LightGBM price model on the demo feature set,
a GARCH volatility model and a VADER sentiment model, each with a champion; a second seed trains
nothing."""

from __future__ import annotations

import pytest

from apps.features import demo as features_demo
from apps.ml import demo
from apps.ml.models import ModelAlias, ModelVersion
from apps.ml.selectors.artifacts import version_artifact

pytestmark = pytest.mark.django_db


def test_seed_trains_champions_once(market):
    features_demo.seed()
    demo.seed()
    price = ModelVersion.objects.get(model__name=demo.PRICE_MODEL["name"])
    vol = ModelVersion.objects.get(model__name=demo.VOLATILITY_MODEL["name"])
    for v in (price, vol):
        assert ModelAlias.objects.get(model=v.model, name="champion").version == v
    bundle = version_artifact(price)
    assert bundle.estimator_kind == "lightgbm" and bundle.target == "return_5d"
    assert price.model.feature_set_name == features_demo.DEMO_SET
    assert set(bundle.features) == {f"{d[0]}@1" for d in features_demo.DEFINITIONS if not d[4]}
    assert price.metrics["data"]["symbols"] == ["AAA", "BBB"]
    assert set(version_artifact(vol).params) == {"AAA", "BBB"}
    sentiment = ModelVersion.objects.get(model__name=demo.SENTIMENT_MODEL["name"])
    assert ModelAlias.objects.get(model=sentiment.model, name="champion").version == sentiment
    assert version_artifact(sentiment).method == "vader"
    demo.seed()
    assert ModelVersion.objects.count() == 3
