"""Transactions: the ones in the portfolios you may view, booking one."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from .. import selectors, services
from ..models import Transaction
from .filters import TransactionFilter
from .serializers import TransactionCreateSerializer, TransactionSerializer

# The service names the argument `instrument`; the API's field for it is `symbol`.
_SERVICE_TO_API_FIELD = {"instrument": "symbol"}


def _in_api_fields(exc: DjangoValidationError) -> DjangoValidationError:
    """The service's error with its keys renamed to the API's fields (the platform's exception
    handler turns it into the 400)."""
    if not hasattr(exc, "error_dict"):
        return exc
    return DjangoValidationError({_SERVICE_TO_API_FIELD.get(k, k): v for k, v in exc.error_dict.items()})


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
            raise _in_api_fields(exc) from exc
        return Response(TransactionSerializer(tx).data, status=status.HTTP_201_CREATED)
