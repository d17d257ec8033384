"""Serializers of factor synthesis (`POST /api/factors/synthesize`)."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import BoundedIntegerField, InstantTextField

from ...kernels.synthesis import SYNTHESIS_METHODS
from ...services.analyses import MAX_HORIZON
from .analyses import AnalysisFactorSerializer, FactorsOverWindowSerializer


class SynthesizeSerializer(FactorsOverWindowSerializer):
    name = serializers.CharField(max_length=96, help_text="The composite's factor name (library composite).")
    method = serializers.ChoiceField(choices=list(SYNTHESIS_METHODS), default="icir")
    orthogonalize = serializers.ChoiceField(
        choices=["gram_schmidt", "symmetric"],
        allow_null=True,
        default=None,
        help_text='null or "gram_schmidt" ("symmetric" cannot be saved as a formula: refused).',
    )
    train_end = InstantTextField(
        required=False, help_text="Dates before it train the weights; default: 70% of the window's dates."
    )
    horizon = BoundedIntegerField(
        min_value=1, max_value=MAX_HORIZON, default=1, help_text="Forward return bars."
    )


class CompositeDefinitionSerializer(AnalysisFactorSerializer):
    formula = serializers.CharField(read_only=True)
    interval = serializers.CharField(read_only=True)
    adjusted = serializers.BooleanField(read_only=True)


class SynthesizeResponseSerializer(serializers.Serializer):
    composite = CompositeDefinitionSerializer(read_only=True)
    weights = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text="By factor label; sum |w| = 1."
    )
    method = serializers.CharField(read_only=True)
    orthogonalize = serializers.CharField(read_only=True, allow_null=True)
    horizon = serializers.IntegerField(read_only=True)
    ic_in_sample = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Mean daily rank IC, training dates."
    )
    ic_out_of_sample = serializers.FloatField(
        read_only=True, allow_null=True, help_text="... on the test dates."
    )
    train_end = serializers.DateTimeField(read_only=True, help_text="The first test date.")
    train_dates = serializers.IntegerField(read_only=True)
    test_dates = serializers.IntegerField(read_only=True)
