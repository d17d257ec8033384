"""POST /api/ml/predict/sentiment `{"texts": ["..."]}`: each text's sentiment, VADER's compound, pos,
neg and neu, or the TF-IDF classifier's label and class probabilities (selectors/sentiment.py). The
rest as every prediction (predictions.py)."""

from __future__ import annotations

import time

from drf_spectacular.utils import extend_schema

from ..selectors.sentiment import sentiment_score
from .predictions import UNAVAILABLE, PredictView
from .serializers.sentiment import (
    SentimentPredictRequestSerializer,
    SentimentScoresSerializer,
    sentiment_answer,
)


class SentimentPredictView(PredictView):
    """Each text's sentiment: VADER's scores or the classifier's label and probabilities."""

    kind = "sentiment"

    @extend_schema(
        summary="Score the sentiment of texts with a sentiment model",
        tags=["ml"],
        request=SentimentPredictRequestSerializer,
        responses={200: SentimentScoresSerializer, 409: UNAVAILABLE},
    )
    def post(self, request):
        body = SentimentPredictRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        served, resolve_ms = self.serve(body)
        t0 = time.perf_counter()
        result = sentiment_score(served, texts=body.validated_data["texts"])
        timings = {"resolve_ms": resolve_ms, "predict_ms": (time.perf_counter() - t0) * 1e3}
        return self.answer(served, result, sentiment_answer(result, timings=timings))
