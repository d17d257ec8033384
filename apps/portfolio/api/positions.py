"""Open positions of a portfolio addressed by code."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from .portfolios import ByCode
from .serializers import PositionSerializer
from .serializers.positions import book_positions


class PortfolioPositions(ByCode, generics.GenericAPIView):
    serializer_class = PositionSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="Open positions of a portfolio", tags=["portfolio"], responses=PositionSerializer(many=True)
    )
    def get(self, request, *args, **kwargs):
        portfolio = self.get_object()
        return Response(book_positions(portfolio.pk))
