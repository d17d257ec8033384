"""Bodies of the stress endpoint and of stress scenarios. Shapes are checked here; meaning (known
symbols, stored prices in a window, scenario names) by selectors/scenarios.py, which names the
field at fault too."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import BoundedIntegerField, InstantTextField

from ...models import StressScenario
from ...selectors.var import DEFAULT_WINDOW


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
