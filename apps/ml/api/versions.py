"""GET /api/ml/models/{id}/versions (paginated, oldest first) and .../versions/{n}: a model's
immutable versions. Unknown model or version: 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors.ml_models import model_get
from ..selectors.versions import version_get, versions_none, versions_of
from .params import MODEL_REF, VERSION_NUMBER
from .serializers.versions import MLVersionSerializer


class VersionList(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = MLVersionSerializer
    filter_backends: list = []

    @extend_schema(summary="A model's versions", tags=["ml"], parameters=[MODEL_REF])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return versions_none()
        return versions_of(model_get(self.kwargs["ref"]))


class VersionDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One version of a model",
        tags=["ml"],
        parameters=[MODEL_REF, VERSION_NUMBER],
        responses={200: MLVersionSerializer},
    )
    def get(self, request, ref: str, number: int):
        return Response(MLVersionSerializer(version_get(model_get(ref), number)).data)
