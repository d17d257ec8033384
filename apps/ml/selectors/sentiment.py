"""Sentiment of texts from a sentiment model (SentimentBundle): VADER's lexicon scores (compound in
[-1, 1], and the positive, negative and neutral shares) or the fitted TF-IDF classifier's class
probabilities and most probable label, one row per text in order (kernels/sentiment.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..kernels.sentiment import VADER_COLUMNS, text_classifier_predict_proba, vader_scores
from .serving import Served


@dataclass(frozen=True)
class SentimentScores:
    served: Served
    method: str  # vader, tfidf
    columns: tuple[str, ...]  # vader: compound, pos, neg, neu; tfidf: the labels
    scores: np.ndarray  # (n, columns)
    labels: tuple[str, ...] | None  # tfidf: the most probable label of each text; vader: None

    def rows(self) -> list[dict[str, float]]:
        return [dict(zip(self.columns, map(float, row), strict=True)) for row in self.scores]


def sentiment_score(served: Served, *, texts: Sequence[str]) -> SentimentScores:
    bundle = served.bundle
    if bundle.method == "vader":
        frame = vader_scores(texts)
        return SentimentScores(
            served=served,
            method="vader",
            columns=VADER_COLUMNS,
            scores=frame[list(VADER_COLUMNS)].to_numpy(dtype=float),
            labels=None,
        )
    frame = text_classifier_predict_proba(bundle.pipeline, texts)
    columns = tuple(str(c) for c in frame.columns)
    scores = frame.to_numpy(dtype=float)
    best = np.asarray(columns, dtype=object)[np.argmax(scores, axis=1)] if len(scores) else []
    return SentimentScores(served=served, method="tfidf", columns=columns, scores=scores, labels=tuple(best))
