"""Body of the risk report endpoint."""

from __future__ import annotations

from rest_framework import serializers

from ...reports.files import REPORT_FORMATS
from .var import ConfidenceField


class RiskReportRequestSerializer(serializers.Serializer):
    portfolios = serializers.ListField(child=serializers.CharField(), allow_empty=False, max_length=50)
    format = serializers.ChoiceField(choices=REPORT_FORMATS, default="html")
    confidence = ConfidenceField()
    scenarios = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Stored scenario names or ids; all stored scenarios when omitted.",
    )
