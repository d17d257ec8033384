"""Regime probabilities (`POST /api/ml/predict/regime`): the request and the answer."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import SymbolField
from apps.platform.timestamps import iso_utc

from ...selectors.regimes import RegimeProbabilities
from .serving import ServedSerializer, ServingSerializer


class RegimePredictRequestSerializer(ServingSerializer):
    """A symbol, and the model version to filter with."""

    symbol = SymbolField(help_text="A symbol the model was fitted on.")


def regime_answer(result: RegimeProbabilities, *, timings: dict[str, float]) -> dict:
    return {
        **result.served.describe(),
        "symbol": result.symbol,
        "as_of": iso_utc(result.as_of),
        "new_observations": result.new_observations,
        "state": result.state,
        "states": list(result.state_names),
        "probabilities": result.by_name(),
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }


class RegimeProbabilitiesSerializer(ServedSerializer):
    """The answer (for the schema; regime_answer writes it)."""

    symbol = serializers.CharField(read_only=True)
    as_of = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Bar of the last observation filtered in."
    )
    new_observations = serializers.IntegerField(read_only=True, help_text="Bars filtered in since the fit.")
    state = serializers.CharField(read_only=True, help_text="The most probable state.")
    states = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="State names, calmest first."
    )
    probabilities = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text="P(state | bars up to as_of) by name."
    )
