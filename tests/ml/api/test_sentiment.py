"""POST /api/ml/predict/sentiment: VADER's scores equal vaderSentiment's analyzer called directly; a
TF-IDF classifier's probabilities equal its scikit-learn pipeline's predict_proba, the label their
argmax; 400s on `texts`."""

from __future__ import annotations

import numpy as np
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from apps.ml.kernels.bundles import SentimentBundle
from apps.ml.kernels.sentiment import text_classifier_fit
from tests.ml.serving import register

pytestmark = pytest.mark.django_db
URL = "/api/ml/predict/sentiment"
TEXTS = [
    "Shares soar after record profits",
    "Company faces fraud probe, stock plunges",
    "Board meets on Tuesday",
]


def test_vader_scores_equal_the_analyzer(api_client, user):
    register("news-vader", "sentiment", "vader", SentimentBundle(method="vader"), user=user)
    resp = api_client.post(URL, {"texts": TEXTS}, format="json")
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    analyzer = SentimentIntensityAnalyzer()
    expected = [{k: analyzer.polarity_scores(t)[k] for k in ("compound", "pos", "neg", "neu")} for t in TEXTS]
    assert body["scores"] == expected and body["method"] == "vader"
    assert body["scores"][0]["compound"] > 0 > body["scores"][1]["compound"]


def test_tfidf_probabilities_equal_the_pipeline(api_client, user):
    train = [
        "profits beat forecasts",
        "record sales lift shares",
        "upgrade sends stock higher",
        "strong growth in revenue",
        "losses widen on weak demand",
        "shares slump after warning",
        "downgrade hits the stock",
        "fraud probe deepens",
    ]
    labels = ["up"] * 4 + ["down"] * 4
    pipeline = text_classifier_fit(train, labels, seed=0)
    bundle = SentimentBundle(method="tfidf", pipeline=pipeline, labels=tuple(pipeline.classes_))
    register("news-tfidf", "sentiment", "tfidf", bundle, user=user)
    body = api_client.post(URL, {"texts": TEXTS, "model": "news-tfidf"}, format="json").json()
    proba = pipeline.predict_proba(TEXTS)
    for score, row in zip(body["scores"], proba, strict=True):
        assert score["probabilities"] == pytest.approx(
            dict(zip(pipeline.classes_, row, strict=True)), rel=1e-12
        )
        assert score["label"] == pipeline.classes_[int(np.argmax(row))]
    assert body["method"] == "tfidf" and body["scores"][0]["label"] == "up"


@pytest.mark.parametrize("texts", [[], "one text", ["fine", 3], ["x" * 10_001], None])
def test_bad_texts_are_a_400(api_client, user, texts):
    register("news-vader", "sentiment", "vader", SentimentBundle(method="vader"), user=user)
    resp = api_client.post(URL, {"texts": texts}, format="json")
    assert resp.status_code == 400 and "texts" in resp.json(), resp.json()


def test_the_text_cap_is_the_api_row_cap(api_client, user, settings):
    settings.ML_PREDICT_API_MAX_ROWS = 2
    register("news-vader", "sentiment", "vader", SentimentBundle(method="vader"), user=user)
    resp = api_client.post(URL, {"texts": ["a", "b", "c"]}, format="json")
    assert resp.status_code == 400 and "At most 2 texts" in resp.json()["texts"][0]
