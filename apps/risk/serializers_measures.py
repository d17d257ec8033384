"""Bodies of the risk-measure, stress, scenario and report endpoints. Shapes and ranges are checked
here; meaning (known symbols, stored prices in a window, scenario names) by the services, which
name the field at fault too."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import BoundedFloatField, BoundedIntegerField, InstantTextField

from .models import StressScenario
from .reports.files import REPORT_FORMATS
from .services.measures import BACKTEST_METHODS, COVARIANCES, DEFAULT_WINDOW, MAX_SIMULATIONS, METHODS


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


class WindowSerializer(serializers.Serializer):
    start = InstantTextField(help_text="Date or ISO datetime (UTC when naive).")
    end = InstantTextField(help_text="Date or ISO datetime; bars up to and including it.")


class StressRequestSerializer(serializers.Serializer):
    scenario = serializers.CharField(required=False, help_text="A stored scenario's name or id.")
    scenarios = serializers.ListField(child=serializers.CharField(), required=False, allow_empty=False)
    shocks = serializers.JSONField(required=False, help_text="Inline shocks, as a scenario's `shocks`.")
    historical = WindowSerializer(required=False)
    beta_window = BoundedIntegerField(min_value=20, max_value=5000, default=DEFAULT_WINDOW)

    def validate(self, attrs):
        if not any(k in attrs for k in ("scenario", "scenarios", "shocks", "historical")):
            raise serializers.ValidationError(
                {"scenario": "give a scenario (name or id), scenarios, shocks or historical"}
            )
        return attrs


class ScenarioSerializer(serializers.ModelSerializer):
    # null for the scenarios the system seeds (risk_scenarios_seed), which nobody created.
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = StressScenario
        fields = [
            "id",
            "name",
            "description",
            "kind",
            "shocks",
            "window_start",
            "window_end",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ScenarioWriteSerializer(serializers.Serializer):
    """Every field optional (PATCH); the service checks the whole scenario after the change."""

    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=StressScenario.Kind.choices, required=False)
    shocks = serializers.JSONField(required=False)
    window_start = InstantTextField(required=False, allow_null=True, allow_blank=True)
    window_end = InstantTextField(required=False, allow_null=True, allow_blank=True)

    def validate(self, attrs):
        return {k: (None if v == "" and k.startswith("window") else v) for k, v in attrs.items()}


class RiskReportRequestSerializer(serializers.Serializer):
    portfolios = serializers.ListField(child=serializers.CharField(), allow_empty=False, max_length=50)
    format = serializers.ChoiceField(choices=REPORT_FORMATS, default="html")
    confidence = ConfidenceField()
    scenarios = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Stored scenario names or ids; all stored scenarios when omitted.",
    )
