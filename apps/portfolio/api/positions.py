"""Open positions of a portfolio addressed by code."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from .. import selectors
from .portfolios import ByCode
from .serializers import PositionSerializer
from .serializers.positions import positions_data


class PortfolioPositions(ByCode, generics.GenericAPIView):
    serializer_class = PositionSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="Open positions of a portfolio", tags=["portfolio"], responses=PositionSerializer(many=True)
    )
    def get(self, request, *args, **kwargs):
        portfolio = self.get_object()
        return Response(positions_data(selectors.position_rows(portfolio.pk)))
