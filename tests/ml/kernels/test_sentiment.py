"""Sentiment kernels: VADER equal to vaderSentiment called directly; the TF-IDF + logistic classifier
equal to the same scikit-learn Pipeline built by hand, repeatable, and able to learn a separable set."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from apps.ml.kernels.sentiment import text_classifier_fit, text_classifier_predict_proba, vader_scores

HEADLINES = [
    "Apple beats earnings estimates, shares surge to a record high",
    "Regulators fine the bank after a massive fraud scandal",
    "Oil prices unchanged as traders await the inventory report",
    "Tesla stock is NOT doing well :( after terrible deliveries!!!",
    "",
    "Strong guidance, great margins, happy investors",
]


def test_vader_equals_the_library():
    got = vader_scores(HEADLINES)
    analyzer = SentimentIntensityAnalyzer()
    assert list(got.columns) == ["compound", "pos", "neg", "neu"]
    assert len(got) == len(HEADLINES)
    for i, text in enumerate(HEADLINES):
        assert got.iloc[i].to_dict() == analyzer.polarity_scores(text)
    assert got["compound"][0] > 0 > got["compound"][1]  # the library agrees with a reader on the obvious ones
    assert vader_scores([]).empty


POSITIVE = ["surges", "beats estimates", "record profit", "upgrade", "rallies", "raises dividend"]
NEGATIVE = ["plunges", "misses estimates", "heavy loss", "downgrade", "slumps", "cuts dividend"]
NAMES = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Soylent"]


def toy_headlines():
    """Separable by construction: the label is carried by the event phrase, never by the name."""
    texts, labels = [], []
    for i, name in enumerate(NAMES):
        for j, (pos, neg) in enumerate(zip(POSITIVE, NEGATIVE, strict=True)):
            if (i + j) % 3:  # leave a third of the (name, phrase) pairs out for testing
                texts += [f"{name} {pos}", f"{name} {neg}"]
                labels += ["positive", "negative"]
    return texts, labels


def test_classifier_learns_a_separable_set():
    texts, labels = toy_headlines()
    model = text_classifier_fit(texts, labels, seed=0, C=10.0)
    held_out = [
        (f"{n} {p}", f"{n} {q}")
        for i, n in enumerate(NAMES)
        for j, (p, q) in enumerate(zip(POSITIVE, NEGATIVE, strict=True))
        if (i + j) % 3 == 0
    ]
    pos_texts, neg_texts = [a for a, _ in held_out], [b for _, b in held_out]
    proba = text_classifier_predict_proba(model, pos_texts + neg_texts)
    assert list(proba.columns) == ["negative", "positive"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba["positive"][: len(pos_texts)] > 0.5).all()
    assert (proba["negative"][len(pos_texts) :] > 0.5).all()


def test_classifier_equals_the_pipeline_built_by_hand_and_is_repeatable():
    texts, labels = toy_headlines()
    ours = text_classifier_fit(texts, labels, seed=4, C=2.0)
    ref = Pipeline(
        [
            ("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=50_000)),
            ("clf", LogisticRegression(C=2.0, max_iter=1000, random_state=4)),
        ]
    ).fit(texts, labels)
    new = ["Acme heavy loss and downgrade", "Hooli rallies", "unknown words only"]
    np.testing.assert_allclose(
        text_classifier_predict_proba(ours, new).to_numpy(), ref.predict_proba(new), rtol=1e-12
    )
    again = text_classifier_fit(texts, labels, seed=4, C=2.0)
    np.testing.assert_array_equal(
        text_classifier_predict_proba(again, new).to_numpy(),
        text_classifier_predict_proba(ours, new).to_numpy(),
    )


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="two distinct labels"):
        text_classifier_fit(["a", "b"], ["x", "x"], seed=0)
    with pytest.raises(ValueError, match="labels"):
        text_classifier_fit(["a", "b"], ["x"], seed=0)
    with pytest.raises(ValueError, match="not one string"):
        vader_scores("one headline")
    with pytest.raises(ValueError, match="string"):
        vader_scores(["fine", None])
