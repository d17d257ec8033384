"""Query parameters of GET /api/analytics/performance/{portfolio} and /benchmark/{portfolio}.

Dates stay strings here: the returns service parses them (a bare date, or an ISO timestamp) and names
the field at fault; the frequency is checked against the ones it can build.
"""

from __future__ import annotations

from rest_framework import serializers

from .kernels.returns import FREQUENCY_ALIASES, RETURN_FREQUENCIES


class PerformanceQuerySerializer(serializers.Serializer):
    start = serializers.CharField(required=False, allow_blank=True, default=None, help_text="inclusive")
    end = serializers.CharField(
        required=False, allow_blank=True, default=None, help_text="exclusive; a bare date includes its day"
    )
    frequency = serializers.ChoiceField(
        choices=[*RETURN_FREQUENCIES, *FREQUENCY_ALIASES],
        required=False,
        allow_blank=True,
        default=None,
        help_text="daily|weekly|monthly (or 1d, 1w, 1mo), intraday 1m, 5m, 15m, 30m, 1h; default: the "
        "finest bar interval every instrument of the book has, at least daily",
    )
    risk_free = serializers.CharField(
        required=False,
        default="0",
        help_text="annual rate as a fraction (0.02), or the code of a stored economic series in percent",
    )
    window = serializers.IntegerField(
        required=False, min_value=2, max_value=10_000, default=None, help_text="rolling window in periods"
    )
    benchmark = serializers.CharField(
        required=False,
        allow_blank=True,
        default=None,
        help_text="instrument symbol; default: the portfolio's",
    )

    def validate(self, attrs):
        # Empty strings from a form mean "not given".
        return {k: (None if v == "" else v) for k, v in attrs.items()}
