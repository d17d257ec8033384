"""Request body of POST /api/analytics/attribution/{portfolio}. The nested period data is checked
field by field in the attribution service, which names the exact path at fault."""

from __future__ import annotations

from rest_framework import serializers

from .kernels.attribution import LINKINGS
from .services.attribution import METHODS

# What each method needs from the body; the portfolio's own returns are optional for "factor"
# (the stored book supplies them).
REQUIRED = {
    "brinson": ("periods",),
    "factor": ("factors",),
    "contribution": ("periods",),
}


class AttributionRequestSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=METHODS)
    start = serializers.CharField(required=False, allow_null=True, default=None)
    end = serializers.CharField(required=False, allow_null=True, default=None)
    linking = serializers.ChoiceField(choices=LINKINGS, default="carino")
    frequency = serializers.CharField(required=False, default="1d")
    periods = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        help_text="brinson: [{date, portfolio: {sector: {weight, return}}, benchmark: {...}}]; "
        "contribution: [{date, securities: {symbol: {weight, return}}}].",
    )
    factors = serializers.JSONField(
        required=False, help_text='factor: {name: {date: return}} or {name: "SERIES_CODE"}.'
    )
    returns = serializers.JSONField(
        required=False, help_text="factor: the portfolio's {date: return}; default: the stored book's."
    )

    def validate(self, attrs):
        missing = {
            f: f"Required for method {attrs['method']!r}."
            for f in REQUIRED[attrs["method"]]
            if attrs.get(f) in (None, [], {})
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs
