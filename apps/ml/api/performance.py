"""GET /api/ml/models/{id}/performance: each version's live metrics (from recorded predictions whose
outcome is known) next to its validation metrics, and the drift of its features since training
(selectors/performance.py says how). Needs a signed-in user; an unknown model is a 404."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors.ml_models import model_get
from ..selectors.performance import model_performance
from .params import MODEL_REF


class ModelPerformance(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Live vs validation metrics and feature drift of a model's versions",
        tags=["ml"],
        parameters=[MODEL_REF],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, ref: str):
        return Response(model_performance(model_get(ref)))
