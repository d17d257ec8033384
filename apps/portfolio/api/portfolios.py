"""Portfolio endpoints: the list you may view, opening one, one by code with cash and positions."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from .. import selectors, services
from ..models import Portfolio
from .permissions import CanViewPortfolio
from .serializers import PortfolioCreateSerializer, PortfolioDetailSerializer, PortfolioSerializer
from .serializers.positions import book_positions


class PortfolioListCreate(generics.ListCreateAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PortfolioSerializer
    ordering_fields = ["code", "name", "created_at"]
    ordering = ["code"]
    filterset_fields = ["long_only", "base_currency"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no real user
            return Portfolio.objects.none()
        return selectors.portfolios_visible_to(self.request.user)

    @extend_schema(summary="Portfolios you may view", tags=["portfolio"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Open a portfolio (you become its owner)",
        tags=["portfolio"],
        request=PortfolioCreateSerializer,
        responses={201: PortfolioDetailSerializer},
    )
    def post(self, request, *args, **kwargs):
        serializer = PortfolioCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        portfolio = services.portfolio_create(owner=request.user, **serializer.validated_data)
        return Response(PortfolioDetailSerializer(portfolio).data, status=status.HTTP_201_CREATED)


class ByCode:
    """Looks the portfolio up among all of them, then checks the caller may see it: a portfolio
    that exists but is not yours answers 403, one that does not exist 404."""

    permission_classes = [IsAuthenticated, CanViewPortfolio]
    lookup_field = "code"

    def get_queryset(self):
        return selectors.portfolios_for_lookup()


class PortfolioDetail(ByCode, generics.RetrieveAPIView):
    """The positions are read as plain rows and formatted as PositionSerializer would
    (serializers/positions.py: book_positions): a prefetch building a Position and an Instrument
    per row made this read of a 500-position book ~25 times the cost of the rows themselves."""

    serializer_class = PortfolioDetailSerializer

    @extend_schema(summary="A portfolio with its cash and positions", tags=["portfolio"])
    def get(self, request, *args, **kwargs):
        portfolio = self.get_object()
        data = PortfolioSerializer(portfolio).data
        data["positions"] = book_positions(portfolio.pk)
        return Response(data)
