"""Portfolio endpoints: validate with a serializer, call a service or selector, serialize."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from . import selectors, services
from .filters import TransactionFilter
from .models import Portfolio, Transaction
from .permissions import CanViewPortfolio
from .serializers import (
    PortfolioCreateSerializer,
    PortfolioDetailSerializer,
    PortfolioSerializer,
    PositionSerializer,
    TransactionCreateSerializer,
    TransactionSerializer,
)

# The service names the argument `instrument`; the API's field for it is `symbol`.
_SERVICE_TO_API_FIELD = {"instrument": "symbol"}


def _as_api_error(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError({_SERVICE_TO_API_FIELD.get(k, k): v for k, v in exc.message_dict.items()})
    return ValidationError({"non_field_errors": exc.messages})


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
        try:
            portfolio = services.portfolio_create(owner=request.user, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise _as_api_error(exc) from exc
        return Response(PortfolioDetailSerializer(portfolio).data, status=status.HTTP_201_CREATED)


class _ByCode:
    """Looks the portfolio up among all of them, then checks the caller may see it: a portfolio
    that exists but is not yours answers 403, one that does not exist 404."""

    permission_classes = [IsAuthenticated, CanViewPortfolio]
    lookup_field = "code"

    def get_queryset(self):
        return Portfolio.objects.select_related("owner", "group", "benchmark")


class PortfolioDetail(_ByCode, generics.RetrieveAPIView):
    serializer_class = PortfolioDetailSerializer

    def get_queryset(self):
        return super().get_queryset().prefetch_related("positions__instrument")

    @extend_schema(summary="A portfolio with its cash and positions", tags=["portfolio"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PortfolioPositions(_ByCode, generics.GenericAPIView):
    serializer_class = PositionSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="Open positions of a portfolio", tags=["portfolio"], responses=PositionSerializer(many=True)
    )
    def get(self, request, *args, **kwargs):
        portfolio = self.get_object()
        return Response(PositionSerializer(selectors.positions_of(portfolio), many=True).data)


class TransactionListCreate(generics.ListCreateAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter
    ordering_fields = ["timestamp", "id", "created_at"]
    ordering = ["-timestamp", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Transaction.objects.none()
        return selectors.transactions_visible_to(self.request.user)

    @extend_schema(summary="Transactions in the portfolios you may view", tags=["portfolio"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Book a transaction (buy, sell, deposit, withdrawal, fee, dividend)",
        tags=["portfolio"],
        request=TransactionCreateSerializer,
        responses={201: TransactionSerializer},
    )
    def post(self, request, *args, **kwargs):
        serializer = TransactionCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            tx = services.transaction_record(
                portfolio=data.pop("portfolio"),
                instrument=data.pop("symbol", None),
                created_by=request.user,
                **data,
            )
        except DjangoValidationError as exc:
            raise _as_api_error(exc) from exc
        return Response(TransactionSerializer(tx).data, status=status.HTTP_201_CREATED)
