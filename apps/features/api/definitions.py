"""GET/POST /api/features/definitions, GET /api/features/definitions/<name>: versioned feature
definitions. POST answers 201 with a new version, or 200 with the latest one when the recipe is
unchanged (idempotent). Bad input is a 400 keyed by field (the service's ValidationError, through the
platform's exception handler); an unknown name a 404."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors.definitions import definition_versions, definitions_latest
from ..services.definitions import definition_save
from .serializers.definitions import (
    DefinitionHistorySerializer,
    DefinitionSerializer,
    DefinitionWriteSerializer,
)


class DefinitionListCreate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Feature definitions: the latest version of each",
        tags=["features"],
        responses={200: DefinitionSerializer(many=True)},
    )
    def get(self, request):
        return Response(DefinitionSerializer(definitions_latest(), many=True).data)

    @extend_schema(
        summary="Save a feature definition (a new version only when the recipe changed)",
        tags=["features"],
        request=DefinitionWriteSerializer,
        responses={
            201: OpenApiResponse(DefinitionSerializer, description="A new version was created."),
            200: OpenApiResponse(DefinitionSerializer, description="Unchanged: the latest version."),
        },
    )
    def post(self, request):
        body = DefinitionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        before = {d.pk for d in definition_versions(data["name"])}
        saved = definition_save(**data, user=request.user)
        created = saved.pk not in before
        return Response(
            DefinitionSerializer(saved).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class DefinitionDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A feature definition with all its versions",
        tags=["features"],
        responses={200: DefinitionHistorySerializer},
    )
    def get(self, request, name: str):
        versions = definition_versions(name)
        if not versions:
            raise NotFound(f"No feature definition {name!r}.")
        return Response(DefinitionHistorySerializer({"name": name, "versions": versions}).data)
