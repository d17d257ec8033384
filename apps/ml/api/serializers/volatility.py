"""Volatility forecasts (`POST /api/ml/predict/volatility`): the request and the answer."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from apps.platform.fields import SymbolField
from apps.platform.timestamps import iso_utc

from ...selectors.volatility import VolatilityForecast
from .serving import ServedSerializer, ServingSerializer

HORIZON_CEILING = 100_000  # the schema's bound; the setting (checked below) is the one that applies


class VolatilityPredictRequestSerializer(ServingSerializer):
    """A symbol and the bars ahead, and the model version to forecast with."""

    symbol = SymbolField(help_text="A symbol the model was fitted on.")
    horizon = serializers.IntegerField(
        required=False,
        default=1,
        min_value=1,
        max_value=HORIZON_CEILING,
        help_text="Bars ahead, 1 to ML_VOL_MAX_HORIZON (252).",
    )

    def validate_horizon(self, value: int) -> int:
        cap = settings.ML_VOL_MAX_HORIZON
        if value > cap:
            raise serializers.ValidationError(f"At most {cap} bars ahead.")
        return value


def volatility_answer(result: VolatilityForecast, *, timings: dict[str, float]) -> dict:
    return {
        **result.served.describe(),
        "symbol": result.symbol,
        "horizon": result.horizon,
        "interval": result.interval,
        "method": result.method,
        "as_of": iso_utc(result.as_of),
        "new_returns": result.new_returns,
        "variance": result.variance.tolist(),
        "vol": result.vol.tolist(),
        "total_variance": result.total_variance,
        "total_vol": result.total_vol,
        "annualized_vol": result.annualized_vol,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }


class VolatilityForecastSerializer(ServedSerializer):
    """The answer (for the schema; volatility_answer writes it)."""

    symbol = serializers.CharField(read_only=True)
    horizon = serializers.IntegerField(read_only=True)
    interval = serializers.CharField(read_only=True, help_text="The bar interval of the returns.")
    method = serializers.ChoiceField(
        choices=["analytic", "simulation"],
        read_only=True,
        help_text="analytic: closed form from the stored state moved to the latest bar (GARCH, GJR, "
        "EGARCH one step); simulation: arch's simulated EGARCH paths beyond one step.",
    )
    as_of = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Bar of the last return in the forecast's state."
    )
    new_returns = serializers.IntegerField(
        read_only=True, help_text="Returns since the fit moved into the state."
    )
    variance = serializers.ListField(
        child=serializers.FloatField(), read_only=True, help_text="Per-bar variance of steps 1..horizon."
    )
    vol = serializers.ListField(child=serializers.FloatField(), read_only=True, help_text="Its square root.")
    total_variance = serializers.FloatField(read_only=True, help_text="Variance of the horizon's return.")
    total_vol = serializers.FloatField(read_only=True)
    annualized_vol = serializers.FloatField(
        read_only=True, help_text="sqrt(total_variance / horizon x periods per year)."
    )
