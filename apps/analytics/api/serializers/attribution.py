"""Request body of POST /api/analytics/attribution/{portfolio}. The nested period data is checked
field by field in the attribution service, which names the exact path at fault."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import InstantTextField

from ...kernels.attribution import LINKINGS
from ...kernels.returns import FREQUENCIES, FREQUENCY_ALIASES
from ...selectors.attribution import METHODS

# What each method needs from the body. Without them the stored book supplies the portfolio's side:
# its returns for "factor", its per-period holdings for "brinson" and "contribution".
REQUIRED = {
    "brinson": (),
    "factor": ("factors",),
    "contribution": (),
}


def book_frequency_field() -> serializers.ChoiceField:
    """The periods of a stored book's returns (attribution, tear sheets); left out, the finest of
    daily, weekly and monthly that the book's bars give."""
    return serializers.ChoiceField(
        choices=[*FREQUENCIES, *FREQUENCY_ALIASES],
        required=False,
        allow_null=True,
        default=None,
        help_text="daily|weekly|monthly (or 1d, 1w, 1mo); default: the finest the book's bars give",
    )


class AttributionRequestSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=METHODS)
    start = InstantTextField(required=False, allow_null=True, default=None)
    end = InstantTextField(required=False, allow_null=True, default=None)
    linking = serializers.ChoiceField(choices=LINKINGS, default="carino")
    frequency = book_frequency_field()
    periods = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        help_text="brinson: [{date, portfolio: {sector: {weight, return}}, benchmark: {...}}] (or the "
        "benchmark side alone, the portfolio's from the stored book); contribution: [{date, securities: "
        "{symbol: {weight, return}}}]. Leave out to derive them from the stored book at `frequency`.",
    )
    benchmark = serializers.JSONField(
        required=False,
        help_text='brinson without periods: a model benchmark, {"portfolio": "CODE"} or '
        '{"weights": {"SYMBOL": weight, ...}} (rebalanced every period).',
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
