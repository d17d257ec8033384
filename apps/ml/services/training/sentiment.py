"""Training a sentiment model: "vader" (VADER's lexicon, nothing fitted: a version records which
method serves, with empty metrics) or "tfidf" (TF-IDF + logistic regression on the user's labelled
headlines, kernels/sentiment.py).

For tfidf the metrics are a seeded, stratified hold-out's accuracy and macro F1 (a quarter of the
rows, kernels/evaluation.py); the stored pipeline is then fitted on every row. Nothing here carries a
guarantee that a refit would break (unlike a price model's conformal interval), and with a few dozen
headlines a quarter of them is a large share to leave out of the model that serves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from django.core.exceptions import ValidationError

from ...kernels.bundles import SentimentBundle
from ...kernels.evaluation import text_classifier_holdout
from ...kernels.sentiment import text_classifier_fit
from .fitted import Fitted
from .params import TrainRequest

HOLDOUT_FRACTION = 0.25


def sentiment_train(req: TrainRequest, report: Callable[[float, str], None]) -> Fitted:
    if req.estimator == "vader":
        return Fitted(bundle=SentimentBundle(method="vader"), hyperparameters={}, metrics={})
    p = req.resolved
    texts, labels = list(req.texts), list(req.labels)
    report(10, f"hold-out check on {len(texts)} headlines")
    try:
        holdout = text_classifier_holdout(
            texts, labels, seed=req.seed, fraction=HOLDOUT_FRACTION, C=p["C"], max_features=p["max_features"]
        )
        report(60, "fitting on every headline")
        pipeline = text_classifier_fit(texts, labels, seed=req.seed, C=p["C"], max_features=p["max_features"])
    except ValueError as exc:  # e.g. no word left to learn from (empty or stop-word-only headlines)
        raise ValidationError({"texts": f"cannot learn from these headlines: {exc}"}) from None
    metrics = {
        "holdout": {**holdout, "fraction": HOLDOUT_FRACTION},
        "classes": dict(sorted(Counter(labels).items())),
        "n": len(texts),
    }
    return Fitted(
        bundle=SentimentBundle(
            method="tfidf", pipeline=pipeline, labels=tuple(str(c) for c in pipeline.classes_)
        ),
        hyperparameters=dict(p),
        metrics=metrics,
    )
