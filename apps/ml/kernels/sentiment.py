"""Sentiment of text: VADER's lexicon (offline) and a TF-IDF + logistic-regression classifier trained
on labelled headlines.

`vader_scores(texts)` is vaderSentiment's `SentimentIntensityAnalyzer().polarity_scores` for each
text, as a frame with columns compound (normalised to [-1, 1]), pos, neg, neu (shares summing to
about 1), one row per text in input order. The lexicon ships inside the vaderSentiment package, so
nothing is downloaded; the analyzer is built once per process (reading the lexicon costs ~50 ms).

`text_classifier_fit(texts, labels, seed=)` fits a scikit-learn Pipeline: `TfidfVectorizer`
(lowercased word unigrams and bigrams, sublinear term frequency) then `LogisticRegression`
(L2, `C`, lbfgs, `random_state=seed`): the same data and seed give the same model.
`text_classifier_predict_proba(model, texts)` gives one column per label (the classifier's classes,
sorted), rows summing to 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

VADER_COLUMNS = ("compound", "pos", "neg", "neu")


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def vader_scores(texts: Sequence[str]) -> pd.DataFrame:
    """VADER's compound, pos, neg and neu per text (float64, one row per text)."""
    texts = _texts(texts)
    analyzer = _analyzer()
    # VADER scores one text at a time (its rules look at neighbouring words); nothing to vectorise.
    scores = [analyzer.polarity_scores(t) for t in texts]
    return pd.DataFrame(
        {c: np.fromiter((s[c] for s in scores), dtype=float, count=len(scores)) for c in VADER_COLUMNS}
    )


def text_classifier_fit(
    texts: Sequence[str], labels: Sequence, *, seed: int, C: float = 1.0, max_features: int | None = 50_000
) -> Pipeline:
    """Fit TF-IDF + logistic regression on labelled texts (at least two distinct labels)."""
    texts = _texts(texts)
    labels = list(labels)
    if len(labels) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    if len(set(labels)) < 2:
        raise ValueError("the classifier needs at least two distinct labels")
    if not C > 0:
        raise ValueError(f"C must be positive, got {C}")
    model = Pipeline(
        [
            ("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=max_features)),
            ("clf", LogisticRegression(C=C, max_iter=1000, random_state=seed)),
        ]
    )
    return model.fit(texts, labels)


def text_classifier_predict_proba(model: Pipeline, texts: Sequence[str]) -> pd.DataFrame:
    """P(label | text): one column per label of the fitted classifier, one row per text."""
    return pd.DataFrame(model.predict_proba(_texts(texts)), columns=list(model.classes_))


def _texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise ValueError("texts must be a sequence of strings, not one string")
    texts = list(texts)
    if not all(isinstance(t, str) for t in texts):
        raise ValueError("every text must be a string")
    return texts
