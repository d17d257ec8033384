"""Bodies of the VaR and backtest endpoints (and the confidence field the report body shares).
Shapes and ranges are checked here; meaning (known symbols, enough history) by the selectors,
which name the field at fault too."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import BoundedFloatField, BoundedIntegerField

from ...selectors.var import BACKTEST_METHODS, COVARIANCES, DEFAULT_WINDOW, MAX_SIMULATIONS, METHODS


class ConfidenceField(BoundedFloatField):
    def __init__(self, **kwargs):
        kwargs.setdefault("default", 0.99)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not 0.0 < value < 1.0:
            raise serializers.ValidationError("must be strictly between 0 and 1 (e.g. 0.99)")
        return value


def _window(**kwargs):
    return BoundedIntegerField(min_value=20, max_value=5000, default=DEFAULT_WINDOW, **kwargs)


class VarRequestSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=METHODS, default="historical")
    confidence = ConfidenceField()
    horizon_days = BoundedIntegerField(min_value=1, max_value=250, default=1)
    window = _window(help_text="Days of return history.")
    simulations = BoundedIntegerField(min_value=100, max_value=MAX_SIMULATIONS, default=10_000)
    seed = BoundedIntegerField(min_value=0, max_value=2**32 - 1, default=42)
    covariance = serializers.ChoiceField(choices=COVARIANCES, default="sample")


class BacktestRequestSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=BACKTEST_METHODS, default="historical")
    confidence = ConfidenceField()
    window = _window(help_text="Days of history behind each one-day forecast.")
    observations = BoundedIntegerField(min_value=20, max_value=5000, default=DEFAULT_WINDOW)
