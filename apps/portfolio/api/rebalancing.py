"""POST /api/portfolio/rebalance/{portfolio}: a rebalance proposal (whole-lot orders, the risk
verdict before and after); GET /api/portfolio/proposals/{id}; POST .../{id}/accept (books the
orders; a breach needs override_reason and staff or portfolio.override_rebalance) and .../reject.
Viewing follows the portfolio's visibility (403 / 404); deciding needs the owner or staff."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors.access import can_view
from ..selectors.optimizations import optimization_get, proposal_document, proposal_get
from ..services.rebalancing import ProposalDecided, proposal_accept, proposal_create, proposal_reject
from .optimizations import viewable_portfolio
from .serializers.rebalancing import AcceptSerializer, ProposalSerializer, RebalanceSerializer


def viewable_proposal(user, proposal_id: int):
    row = proposal_get(proposal_id)
    if row is None:
        raise Http404("No rebalance proposal with this id.")
    if not can_view(user, row.portfolio):
        raise PermissionDenied("You do not have access to this portfolio.")
    return row


class RebalanceView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Propose whole-lot orders toward target weights",
        tags=["portfolio"],
        request=RebalanceSerializer,
        responses={201: ProposalSerializer},
    )
    def post(self, request, portfolio_id: str):
        portfolio = viewable_portfolio(request.user, portfolio_id)
        body = RebalanceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        optimization = None
        if "optimization" in data:
            optimization = optimization_get(data["optimization"])
            if optimization is None:
                raise Http404("No optimization with this id.")
        proposal = proposal_create(
            portfolio=portfolio,
            optimization=optimization,
            target_weights=data.get("target_weights"),
            lot_sizes=data["lot_sizes"],
            cash_buffer=data["cash_buffer"],
            user=request.user,
        )
        return Response(proposal_document(proposal), status=status.HTTP_201_CREATED)


class ProposalDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="A rebalance proposal", tags=["portfolio"], responses={200: ProposalSerializer})
    def get(self, request, proposal_id: int):
        return Response(proposal_document(viewable_proposal(request.user, proposal_id)))


def _decided(fn):
    try:
        return Response(proposal_document(fn()))
    except ProposalDecided as exc:
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)


class ProposalAccept(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Accept a proposal: book its orders",
        tags=["portfolio"],
        request=AcceptSerializer,
        responses={200: ProposalSerializer},
    )
    def post(self, request, proposal_id: int):
        proposal = viewable_proposal(request.user, proposal_id)
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reason = body.validated_data["override_reason"]
        return _decided(lambda: proposal_accept(proposal=proposal, user=request.user, override_reason=reason))


class ProposalReject(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Reject a proposal", tags=["portfolio"], request=None, responses={200: ProposalSerializer}
    )
    def post(self, request, proposal_id: int):
        proposal = viewable_proposal(request.user, proposal_id)
        return _decided(lambda: proposal_reject(proposal=proposal, user=request.user))
