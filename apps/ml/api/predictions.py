"""POST /api/ml/predict/{model_type}: predictions of a registered model version, one path per kind
(price here; volatility.py, regimes.py and sentiment.py next to it), each with its own body.

Every body may name the model (`model`, name or id) and the version (`alias`, default champion, or
`version`); without `model`, the first model by name of that kind with the alias serves
(selectors/serving.py). Every answer names the model, version and alias it used and its timings,
and each request publishes one summary on `ml.predictions.{model}` (services/predictions.py).

Refusals: a body field that names nothing usable (unknown model, alias or version, a model of
another kind, a failed version, unknown features or symbols, values that are not numbers) is a 400
keyed by that field; a version whose artifact is refused (missing, or its checksum differs: logged and
reported in /health) or is not a bundle of the kind is a 409 `model_unavailable`, nothing predicted:
the request is fine, the registry's version cannot serve it until an alias points elsewhere.
"""

from __future__ import annotations

import logging
import time

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.platform.parsers import DepthLimitedJSONParser
from apps.platform.schema import error_response

from ..selectors.abrouting import ab_route, shadow_scores
from ..selectors.artifacts import ArtifactRefused
from ..selectors.predictions import given_from_mappings, returns_predict
from ..selectors.serving import BundleMismatch, PredictionInputError, Served, served_get
from ..services.predictions import prediction_publish
from ..services.records import RECORD_FAILURES, predictions_record
from .serializers.predictions import (
    PriceBatchPredictionSerializer,
    PricePredictionSerializer,
    PricePredictRequestSerializer,
    price_answer,
)

log = logging.getLogger("apps.ml.api")

UNAVAILABLE = error_response(
    "The chosen version cannot predict: its artifact was refused (missing, or its checksum differs from "
    "the registry) or holds no model of this kind. Nothing was predicted; point the alias elsewhere."
)


class ModelUnavailable(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "model_unavailable"
    default_detail = "The model version cannot predict."


def _messages(errors):
    """A field's message as DRF gives them: a list of strings (nested fields stay objects)."""
    if isinstance(errors, dict):
        return {str(k): _messages(v) for k, v in errors.items()}
    return list(errors) if isinstance(errors, list | tuple) else [str(errors)]


def _refused(exc: ArtifactRefused) -> ModelUnavailable:
    return ModelUnavailable(
        f"Version {exc.number} of model {exc.model_id} cannot predict: its artifact was refused "
        f"({exc.reason}). Nothing was predicted."
    )


class PredictView(APIView):
    """Shared by the prediction views: the refusals above, and the timing of a request."""

    permission_classes = [IsAuthenticated]
    parser_classes = [DepthLimitedJSONParser]  # rows, features and texts are JSON; a form is a 415
    kind: str = ""

    def initial(self, request, *args, **kwargs):
        self.started = time.perf_counter()
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc):
        if isinstance(exc, PredictionInputError):
            exc = ValidationError(_messages(exc.errors))
        elif isinstance(exc, ArtifactRefused):
            exc = _refused(exc)
        elif isinstance(exc, BundleMismatch):
            exc = ModelUnavailable(f"{exc} Nothing was predicted.")
        return super().handle_exception(exc)

    def serve(self, body) -> tuple[Served, float]:
        t0 = time.perf_counter()
        served = served_get(kind=self.kind, **body.serving())
        return served, (time.perf_counter() - t0) * 1e3

    def answer(self, served: Served, result, body: dict) -> Response:
        """Stamp the total, publish the summary, answer."""
        elapsed = (time.perf_counter() - self.started) * 1e3
        body["timings"] = {**body.get("timings", {}), "total_ms": round(elapsed, 3)}
        prediction_publish(served=served, result=result, user=self.request.user, elapsed_ms=elapsed)
        return Response(body)


class PricePredictView(PredictView):
    """Return predictions with intervals: one row (symbol, current_price, features) or a batch (symbols or rows)."""

    kind = "price"

    @extend_schema(
        summary="Predict returns (and prices) with a price model: one row, or a batch of symbols or rows",
        tags=["ml"],
        request=PricePredictRequestSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="PricePredictionAnswer",
                serializers=[PricePredictionSerializer, PriceBatchPredictionSerializer],
                resource_type_field_name=None,
            ),
            409: UNAVAILABLE,
        },
    )
    def post(self, request):
        body = PricePredictRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        served, resolve_ms = self.serve(body)
        symbols, features, prices, batch, symbol_field = body.rows_asked()
        t0 = time.perf_counter()
        routed = ab_route(
            served,
            symbols=symbols,
            version_pinned=body.validated_data.get("version") is not None,
            key=body.validated_data.get("request_key"),
        )
        served = routed.served
        resolve_ms += (time.perf_counter() - t0) * 1e3
        given = given_from_mappings(served, features, batch=batch)
        result = returns_predict(
            served,
            symbols=symbols,
            given=given,
            current_price=prices,
            symbol_field=symbol_field,
            values_field=symbol_field if batch else "features",
        )
        t1 = time.perf_counter()
        self.record(routed, result)
        timings = {"resolve_ms": resolve_ms, **result.timings, "record_ms": (time.perf_counter() - t1) * 1e3}
        answer = price_answer(result, batch=batch, timings=timings)
        if routed.test is not None:
            answer["ab_test"] = {
                "id": routed.test.test_id,
                "name": routed.test.name,
                "arm": routed.position,
                "request_key": routed.key,
            }
        return self.answer(served, result, answer)

    @staticmethod
    def record(routed, result) -> None:
        """Score the shadow arms and record everything; a failure here never fails the prediction."""
        try:
            shadows = shadow_scores(routed, result)
        except Exception:  # a shadow arm that cannot score (refused artifact...) leaves the served one
            RECORD_FAILURES.inc()
            log.exception("shadow scoring failed for model %s", routed.served.model_name)
            shadows = []
        predictions_record(routed=routed, result=result, shadows=shadows)
