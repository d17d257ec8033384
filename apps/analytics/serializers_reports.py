"""Body of POST /api/analytics/reports/{portfolio}. Dates stay strings: the returns service parses
them and names the field at fault."""

from __future__ import annotations

from rest_framework import serializers

from .kernels.returns import FREQUENCIES
from .reports.files import REPORT_FORMAT_CHOICES


class ReportRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=REPORT_FORMAT_CHOICES, default="html")
    start = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)
    end = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)
    frequency = serializers.ChoiceField(choices=FREQUENCIES, default="1d")

    def validate(self, attrs):
        return {k: (None if v == "" else v) for k, v in attrs.items()}
