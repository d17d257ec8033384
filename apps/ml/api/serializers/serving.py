"""What every prediction request and answer shares (`/api/ml/predict/...`): the fields choosing the
model version, and the model, version, alias and timings every answer carries."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from apps.platform.fields import printable_validator

from ...models import ModelKind

TIMINGS_HELP = (
    "Milliseconds spent, by step: resolve (model, version and artifact), features (online store read), "
    "predict, record (price predictions: writing their records), and total (the whole request until the "
    "answer was built)."
)


def api_max_rows() -> int:
    return settings.ML_PREDICT_API_MAX_ROWS


class ServingSerializer(serializers.Serializer):
    """The model version to predict with."""

    model = serializers.CharField(
        required=False,
        max_length=64,
        validators=[printable_validator],
        help_text="The model's name or id. Default: the first model (by name) of this kind that has "
        "`alias` (champion when a `version` number is given).",
    )
    alias = serializers.CharField(
        required=False,
        max_length=64,
        validators=[printable_validator],
        help_text="The alias naming the version (default champion).",
    )
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="A version number instead of an alias."
    )

    def validate(self, attrs):
        if "alias" in attrs and "version" in attrs:
            raise serializers.ValidationError({"version": ["Give an alias or a version number, not both."]})
        return attrs

    def serving(self) -> dict:
        data = self.validated_data
        return {"model": data.get("model"), "alias": data.get("alias"), "version": data.get("version")}


class ServedSerializer(serializers.Serializer):
    """The version an answer was made with (for the schema; answers are built as plain dicts)."""

    model = serializers.CharField(read_only=True, help_text="The model's name.")
    model_id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=ModelKind.choices, read_only=True)
    estimator = serializers.CharField(read_only=True)
    target = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="The version number that predicted.")
    alias = serializers.CharField(
        read_only=True, allow_null=True, help_text="The alias it was reached through; null when by number."
    )
    timings = serializers.DictField(child=serializers.FloatField(), read_only=True, help_text=TIMINGS_HELP)
