"""The body of `POST /api/ml/models/train`: shapes and types here (400 per field); what the values
mean (a known feature set, hyperparameters in range, fields a kind uses) is checked by the service
(services/training/params.py), also per field."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import InstantTextField

from ...models import ModelKind
from ...models.ml_models import ESTIMATOR_CHOICES
from ...services.training.params import MAX_SEED, MAX_SYMBOLS, MAX_TEXTS


class TrainSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=64, help_text="The model: created on first use, else its next version."
    )
    kind = serializers.ChoiceField(choices=ModelKind.choices)
    estimator = serializers.ChoiceField(choices=ESTIMATOR_CHOICES, help_text="One of the kind's families.")
    target = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text='price: "return_{h}d" (h bars ahead); other kinds: a label (defaults given).',
    )
    feature_set = serializers.CharField(
        max_length=64, required=False, allow_null=True, help_text="price: required; hmm: optional."
    )
    symbols = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, max_length=MAX_SYMBOLS
    )
    start = InstantTextField(required=False, allow_null=True, help_text="Window start (inclusive).")
    end = InstantTextField(
        required=False, allow_null=True, help_text="Window end (exclusive; a bare date includes it)."
    )
    hyperparameters = serializers.DictField(required=False, allow_null=True)
    validation = serializers.DictField(
        required=False, allow_null=True, help_text='price: {"method", "n_splits", "embargo_pct"}.'
    )
    automl = serializers.DictField(
        required=False, allow_null=True, help_text='price: {"trials": n, "timeout_s": s, "metric"}.'
    )
    alpha = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0.001,
        max_value=0.5,
        help_text="price: interval miscoverage.",
    )
    seed = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=MAX_SEED)
    texts = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=10_000), required=False, max_length=MAX_TEXTS
    )
    labels = serializers.ListField(child=serializers.JSONField(), required=False, max_length=MAX_TEXTS)
    alias = serializers.CharField(
        max_length=64, required=False, allow_null=True, help_text="Moved to the new version on success."
    )
