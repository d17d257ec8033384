"""POST /api/analytics/calculate/{portfolio}: P&L now, synchronously (no Celery round trip)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.portfolio import facade as portfolio_facade

from .serializers_pnl import CalculateRequestSerializer, CalculateResponseSerializer, calculate_payload
from .services import pnl as pnl_services


def as_api_error(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError(exc.message_dict)
    return ValidationError({"non_field_errors": exc.messages})


def viewable_portfolio(user, key: str):
    """The portfolio by code (or id) with its positions if `user` may view it: 404 unknown, 403
    someone else's."""
    return portfolio_facade.portfolio_viewable(user, key, positions=True)


class CalculateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="P&L now: the stored book, or ad-hoc positions valued in the portfolio's currency",
        tags=["analytics"],
        request=CalculateRequestSerializer,
        responses={200: CalculateResponseSerializer},
    )
    def post(self, request, portfolio_id: str):
        info = viewable_portfolio(request.user, portfolio_id)
        body = CalculateRequestSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        positions = body.validated_data.get("positions")
        try:
            if positions:
                result = pnl_services.positions_pnl(positions=positions, base_currency=info.base_currency)
            else:
                result = pnl_services.portfolio_pnl(portfolio=info)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc
        source = "positions" if positions else "book"
        return Response(calculate_payload(result, portfolio=info.code, source=source))
