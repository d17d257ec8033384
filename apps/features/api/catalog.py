"""GET /api/features/catalog: every TA-Lib function the engine computes, derived from TA-Lib's own
metadata, with parameters, defaults, ranges and output names; filterable by group or name."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors.catalog import catalog_list
from .serializers.catalog import CatalogQuerySerializer, FunctionSerializer


class CatalogView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The feature catalogue: TA-Lib's functions with parameters, defaults, ranges and outputs",
        tags=["features"],
        parameters=[CatalogQuerySerializer],
        responses={200: OpenApiResponse(response=FunctionSerializer(many=True))},
    )
    def get(self, request):
        query = CatalogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = catalog_list(group=query.validated_data.get("group"), name=query.validated_data.get("name"))
        return Response(FunctionSerializer(rows, many=True).data)
