"""POST /api/ml/predict/volatility `{"symbol": "AAPL", "horizon": 10}`: per-bar variance and volatility
forecasts for 1..horizon bars, the horizon's total and the annualized volatility, from a volatility
model's stored parameters moved to the latest bar (selectors/volatility.py). A symbol the model was
not fitted on: 400 `symbol`. The rest as every prediction (predictions.py)."""

from __future__ import annotations

import time

from drf_spectacular.utils import extend_schema

from ..selectors.volatility import volatility_forecast
from .predictions import UNAVAILABLE, PredictView
from .serializers.volatility import (
    VolatilityForecastSerializer,
    VolatilityPredictRequestSerializer,
    volatility_answer,
)


class VolatilityPredictView(PredictView):
    """Per-bar variance and volatility forecasts for 1..horizon bars, their total and the annualized volatility."""

    kind = "volatility"

    @extend_schema(
        summary="Forecast a symbol's volatility over 1..horizon bars with a volatility model",
        tags=["ml"],
        request=VolatilityPredictRequestSerializer,
        responses={200: VolatilityForecastSerializer, 409: UNAVAILABLE},
    )
    def post(self, request):
        body = VolatilityPredictRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        served, resolve_ms = self.serve(body)
        t0 = time.perf_counter()
        result = volatility_forecast(
            served, symbol=body.validated_data["symbol"], horizon=body.validated_data["horizon"]
        )
        timings = {"resolve_ms": resolve_ms, "predict_ms": (time.perf_counter() - t0) * 1e3}
        return self.answer(served, result, volatility_answer(result, timings=timings))
