"""GET /api/factors/operators and GET /api/factors/fields: the expression language's reference,
read from the operator registry and the field panels' docs (what the README points to)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors.reference import fields_reference, operators_reference
from .serializers.reference import (
    FactorFieldSerializer,
    FactorOperatorSerializer,
    FactorOperatorsQuerySerializer,
)


class OperatorsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Every operator of the factor language: names, aliases, arguments, defaults and docs",
        tags=["factors"],
        parameters=[FactorOperatorsQuerySerializer],
        responses={200: FactorOperatorSerializer(many=True)},
    )
    def get(self, request):
        query = FactorOperatorsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = operators_reference(
            category=query.validated_data.get("category"), name=query.validated_data.get("name")
        )
        return Response(FactorOperatorSerializer(rows, many=True).data)


class FieldsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Every field a factor formula may read ($close, $sector, $f.<feature>, ...)",
        tags=["factors"],
        responses={200: FactorFieldSerializer(many=True)},
    )
    def get(self, request):
        return Response(FactorFieldSerializer(fields_reference(), many=True).data)
