"""GET/POST /api/factors/definitions, GET /api/factors/definitions/<name>: versioned factor
definitions. POST answers 201 with a new version, or 200 with the latest one when what it computes
is unchanged (idempotent). A wrong formula is a 400 `{"formula": {message, position, length,
caret}}`; other bad input a 400 keyed by field; an unknown name a 404."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors.definitions import definition_versions, definitions_latest
from ..services.definitions import definition_save
from .formulas import formula_checked
from .serializers.definitions import (
    FactorDefinitionHistorySerializer,
    FactorDefinitionQuerySerializer,
    FactorDefinitionSerializer,
    FactorDefinitionWriteSerializer,
)


class DefinitionListCreate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Factor definitions: the latest version of each, by name",
        tags=["factors"],
        parameters=[FactorDefinitionQuerySerializer],
        responses={200: FactorDefinitionSerializer(many=True)},
    )
    def get(self, request):
        query = FactorDefinitionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = definitions_latest(
            library=query.validated_data.get("library"), search=query.validated_data.get("search")
        )
        return Response(FactorDefinitionSerializer(rows, many=True).data)

    @extend_schema(
        summary="Save a factor definition (a new version only when what it computes changed)",
        tags=["factors"],
        request=FactorDefinitionWriteSerializer,
        responses={
            201: OpenApiResponse(FactorDefinitionSerializer, description="A new version was created."),
            200: OpenApiResponse(FactorDefinitionSerializer, description="Unchanged: the latest version."),
        },
    )
    def post(self, request):
        body = FactorDefinitionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        formula_checked(data["formula"])
        before = {d.pk for d in definition_versions(data["name"])}
        saved = definition_save(**data, user=request.user)
        return Response(
            FactorDefinitionSerializer(saved).data,
            status=status.HTTP_200_OK if saved.pk in before else status.HTTP_201_CREATED,
        )


class DefinitionDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A factor definition with all its versions",
        tags=["factors"],
        responses={200: FactorDefinitionHistorySerializer},
    )
    def get(self, request, name: str):
        versions = definition_versions(name)
        if not versions:
            raise NotFound(f"No factor definition {name!r}.")
        return Response(FactorDefinitionHistorySerializer({"name": name, "versions": versions}).data)
