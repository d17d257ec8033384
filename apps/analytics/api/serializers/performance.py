"""Query parameters of GET /api/analytics/performance/{portfolio} and /benchmark/{portfolio}.

Dates are checked here (a real instant inside the API's range) and handed on as text: the returns
service reads them (a bare date as `end` includes its day); the frequency is checked against the
ones it can build.
"""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import (
    BoundedIntegerField,
    InstantTextField,
    SymbolField,
    number_problem,
    printable_problem,
)

from ...kernels.returns import FREQUENCY_ALIASES, RETURN_FREQUENCIES

# An annual risk-free rate as a fraction: -100 % .. +100 % covers every rate ever paid.
RISK_FREE_RANGE = (-1.0, 1.0)


class RiskFreeField(serializers.CharField):
    """A number is an annual rate (finite, within RISK_FREE_RANGE); other text names a stored
    economic series (printable). NaN, Infinity and 1e309 are numbers, and refused."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            rate = float(text)
        except ValueError:
            problem = printable_problem(text)
            if problem:
                raise serializers.ValidationError(problem) from None
            return text
        low, high = RISK_FREE_RANGE
        problem = number_problem(rate, low=low, high=high)
        if problem:
            raise serializers.ValidationError(
                f"{problem} (an annual rate as a fraction, or a stored series code)"
            )
        return rate


class PerformanceQuerySerializer(serializers.Serializer):
    start = InstantTextField(required=False, allow_blank=True, default=None, help_text="inclusive")
    end = InstantTextField(
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
    risk_free = RiskFreeField(
        required=False,
        default="0",
        help_text="annual rate as a fraction (0.02) from -1 to 1, or the code of a stored economic series "
        "in percent",
    )
    window = BoundedIntegerField(
        required=False, min_value=2, max_value=10_000, default=None, help_text="rolling window in periods"
    )
    benchmark = SymbolField(
        required=False,
        allow_blank=True,
        default=None,
        help_text="instrument symbol; default: the portfolio's",
    )

    def validate(self, attrs):
        # Empty strings from a form mean "not given".
        return {k: (None if v == "" else v) for k, v in attrs.items()}
