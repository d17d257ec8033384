"""Body of POST /api/analytics/reports/{portfolio}. Dates stay strings: the returns service parses
them and names the field at fault."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from apps.platform.fields import InstantTextField

from ...reports.files import REPORT_FORMAT_CHOICES
from ...selectors.attribution_stored import benchmark_model
from .attribution import book_frequency_field


class ReportRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=REPORT_FORMAT_CHOICES, default="html")
    start = InstantTextField(required=False, allow_blank=True, allow_null=True, default=None)
    end = InstantTextField(required=False, allow_blank=True, allow_null=True, default=None)
    frequency = book_frequency_field()
    benchmark = serializers.JSONField(
        required=False,
        help_text='a model benchmark for a Brinson table: {"portfolio": "CODE"} or {"weights": {"SYMBOL": w}}',
    )

    def validate_benchmark(self, value):
        try:
            return benchmark_model(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["benchmark"]) from None

    def validate(self, attrs):
        return {k: (None if v == "" else v) for k, v in attrs.items()}
