"""POST /api/ml/predict/regime `{"symbol": "AAPL"}`: the symbol's current regime probabilities by
state name, the stored filtered probabilities moved over the bars since the fit by filtering
(selectors/regimes.py). A symbol the model was not fitted on: 400 `symbol`. The rest as every
prediction (predictions.py)."""

from __future__ import annotations

import time

from drf_spectacular.utils import extend_schema

from ..selectors.regimes import regime_probabilities
from .predictions import UNAVAILABLE, PredictView
from .serializers.regimes import RegimePredictRequestSerializer, RegimeProbabilitiesSerializer, regime_answer


class RegimePredictView(PredictView):
    """The symbol's current regime probabilities by state name, filtered up to its latest bar."""

    kind = "regime"

    @extend_schema(
        summary="A symbol's current regime probabilities from a regime model",
        tags=["ml"],
        request=RegimePredictRequestSerializer,
        responses={200: RegimeProbabilitiesSerializer, 409: UNAVAILABLE},
    )
    def post(self, request):
        body = RegimePredictRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        served, resolve_ms = self.serve(body)
        t0 = time.perf_counter()
        result = regime_probabilities(served, symbol=body.validated_data["symbol"])
        timings = {"resolve_ms": resolve_ms, "predict_ms": (time.perf_counter() - t0) * 1e3}
        return self.answer(served, result, regime_answer(result, timings=timings))
