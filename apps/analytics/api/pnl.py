"""POST /api/analytics/calculate/{portfolio}: P&L now, synchronously (no Celery round trip)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.portfolio import facade as portfolio_facade

from ..selectors import pnl as pnl_selectors
from .serializers.pnl import CalculateRequestSerializer, CalculateResponseSerializer


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
        # A Django ValidationError (unknown instrument, no price, no FX rate) is a 400 with its fields
        # through the platform's DRF exception handler.
        if positions:
            result = pnl_selectors.positions_pnl(positions=positions, base_currency=info.base_currency)
        else:
            result = pnl_selectors.portfolio_pnl(portfolio=info)
        source = "positions" if positions else "book"
        return Response(pnl_selectors.calculate_payload(result, portfolio=info.code, source=source))
