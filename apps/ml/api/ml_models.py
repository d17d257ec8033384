"""GET /api/ml/models (paginated, `?kind=` to filter) and GET /api/ml/models/{id}: registered models,
one with its versions and aliases. `{id}` is the model's numeric id or its name (names start with a
letter). Unknown kind: 400 naming `kind`; unknown model: 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors.ml_models import model_detail, models_list
from .params import MODEL_REF
from .serializers.ml_models import MLModelDetailSerializer, MLModelQuerySerializer, MLModelSerializer


class ModelList(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = MLModelSerializer
    filter_backends: list = []  # the query serializer filters (a 400 by parameter)

    @extend_schema(summary="Registered models", tags=["ml"], parameters=[MLModelQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return models_list().none()  # the schema generator's fake view: no query
        query = MLModelQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return models_list(kind=query.validated_data.get("kind"))


class ModelDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A model with its versions and aliases",
        tags=["ml"],
        parameters=[MODEL_REF],
        responses={200: MLModelDetailSerializer},
    )
    def get(self, request, ref: str):
        return Response(MLModelDetailSerializer(model_detail(ref)).data)
