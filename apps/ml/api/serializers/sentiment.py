"""Sentiment of texts (`POST /api/ml/predict/sentiment`): the request and the answer."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...selectors.sentiment import SentimentScores
from .serving import ServedSerializer, ServingSerializer, api_max_rows


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string"},
        "minItems": 1,
        "description": "Texts (headlines), at most ML_PREDICT_API_MAX_ROWS of at most "
        "ML_SENTIMENT_MAX_TEXT_CHARS characters each.",
    }
)
class TextsField(serializers.Field):
    def to_internal_value(self, data):
        if not isinstance(data, list) or not data:
            raise serializers.ValidationError("Give a non-empty list of texts.")
        if len(data) > api_max_rows():
            raise serializers.ValidationError(f"At most {api_max_rows()} texts per request, not {len(data)}.")
        cap = settings.ML_SENTIMENT_MAX_TEXT_CHARS
        problems = {
            str(i): [f"A text is a string of at most {cap} characters."]
            for i, t in enumerate(data)
            if not isinstance(t, str) or len(t) > cap
        }
        if problems:
            raise serializers.ValidationError(dict(list(problems.items())[:20]))
        return list(data)


class SentimentPredictRequestSerializer(ServingSerializer):
    """Texts, and the model version to score them with."""

    texts = TextsField()


def sentiment_answer(result: SentimentScores, *, timings: dict[str, float]) -> dict:
    if result.labels is None:
        scores = result.rows()
    else:
        scores = [
            {"label": label, "probabilities": row}
            for label, row in zip(result.labels, result.rows(), strict=True)
        ]
    return {
        **result.served.describe(),
        "method": result.method,
        "scores": scores,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }


class SentimentScoreSerializer(serializers.Serializer):
    """One text's scores: VADER's four, or the classifier's label and probabilities."""

    compound = serializers.FloatField(read_only=True, help_text="vader: in [-1, 1].")
    pos = serializers.FloatField(read_only=True)
    neg = serializers.FloatField(read_only=True)
    neu = serializers.FloatField(read_only=True)
    label = serializers.CharField(read_only=True, help_text="tfidf: the most probable label.")
    probabilities = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text="tfidf: P(label | text) by label."
    )

    class Meta:
        optional_fields = ("compound", "pos", "neg", "neu", "label", "probabilities")


class SentimentScoresSerializer(ServedSerializer):
    """The answer (for the schema; sentiment_answer writes it)."""

    method = serializers.ChoiceField(choices=["vader", "tfidf"], read_only=True)
    scores = SentimentScoreSerializer(many=True, read_only=True, help_text="One per text, in order.")
