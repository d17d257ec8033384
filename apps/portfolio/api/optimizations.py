"""POST /api/portfolio/optimize/{portfolio}: solve and store an optimization (synchronous for at most
PORTFOLIO_OPTIMIZE_SYNC_MAX_ASSETS symbols, else a job on the portfolio queue answered through the
platform's job_response; `?async=true` always a job). An infeasible problem answers 422 with the
stored document naming the conflicting constraints and the smallest relaxation found.
GET /api/portfolio/optimizations/{id}, POST .../{id}/rerun, GET .../{id}/frontier?points=N.

Who may: whoever may view the portfolio (owner, its group, staff); 403 otherwise, 404 when unknown."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.platform.api.serializers.jobs import JobSerializer
from apps.platform.responses import async_requested, job_response
from apps.platform.services import job_start
from apps.platform.timestamps import iso_utc

from ..models import OptimizationStatus
from ..selectors.access import can_view
from ..selectors.optimization_inputs import universe_of
from ..selectors.optimizations import optimization_document, optimization_get, portfolio_by_key
from ..services.optimizations import optimization_frontier, optimization_rerun, optimization_run
from ..tasks.optimize import OPTIMIZE
from .serializers.optimizations import (
    FrontierQuerySerializer,
    FrontierSerializer,
    OptimizationSerializer,
    OptimizeSerializer,
)

SYNC_MAX_ASSETS = 200


def viewable_portfolio(user, key):
    portfolio = portfolio_by_key(key)
    if portfolio is None:
        raise Http404("No portfolio with this id or code.")
    if not can_view(user, portfolio):
        raise PermissionDenied("You do not have access to this portfolio.")
    return portfolio


def viewable_optimization(user, optimization_id: int):
    row = optimization_get(optimization_id)
    if row is None:
        raise Http404("No optimization with this id.")
    if not can_view(user, row.portfolio):
        raise PermissionDenied("You do not have access to this portfolio.")
    return row


def answer(doc: dict, code: int = status.HTTP_200_OK) -> Response:
    """422 for an infeasible problem (the document says which constraints conflict)."""
    if doc.get("status") == OptimizationStatus.INFEASIBLE:
        code = status.HTTP_422_UNPROCESSABLE_ENTITY
    return Response(doc, status=code)


def request_params(data: dict) -> dict:
    window = data.get("window") or {}
    return {
        "method": data["method"],
        "estimator": {**data.get("estimator", {})},
        "constraints": data.get("constraints", {}),
        "params": {**data.get("params", {}), "risk_free_rate": data["risk_free_rate"]},
        "universe": data.get("universe"),
        "window_start": window.get("start"),
        "window_end": window.get("end"),
        "lookback": window.get("lookback"),
    }


class OptimizeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Optimize a portfolio (stored; a job when large)",
        tags=["portfolio"],
        request=OptimizeSerializer,
        responses={200: OptimizationSerializer, 202: JobSerializer, 422: OptimizationSerializer},
    )
    def post(self, request, portfolio_id: str):
        portfolio = viewable_portfolio(request.user, portfolio_id)
        body = OptimizeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        params = request_params(body.validated_data)
        limit = getattr(settings, "PORTFOLIO_OPTIMIZE_SYNC_MAX_ASSETS", SYNC_MAX_ASSETS)
        if async_requested(request) or len(universe_of(portfolio, params["universe"])) > limit:
            job_params = {
                **params,
                "window_start": iso_utc(params["window_start"]),
                "window_end": iso_utc(params["window_end"]),
                "portfolio_id": portfolio.pk,
                "user_id": request.user.pk,
            }
            job = job_start(engine="portfolio", task_name=OPTIMIZE, params=job_params, user=request.user)
            response = job_response(request, job)
            if response.status_code == status.HTTP_200_OK:
                return answer(response.data)
            return response
        row = optimization_run(portfolio=portfolio, user=request.user, **params)
        return answer(optimization_document(row))


class OptimizationDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A stored optimization", tags=["portfolio"], responses={200: OptimizationSerializer}
    )
    def get(self, request, optimization_id: int):
        return Response(optimization_document(viewable_optimization(request.user, optimization_id)))


class OptimizationRerun(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Solve a stored optimization again on the same inputs (a new stored run)",
        tags=["portfolio"],
        request=None,
        responses={201: OptimizationSerializer, 422: OptimizationSerializer},
    )
    def post(self, request, optimization_id: int):
        row = viewable_optimization(request.user, optimization_id)
        return answer(optimization_document(optimization_rerun(optimization=row, user=request.user)), 201)


class OptimizationFrontier(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The efficient frontier over an optimization's inputs (computed once, then stored)",
        tags=["portfolio"],
        parameters=[FrontierQuerySerializer],
        responses={200: FrontierSerializer},
    )
    def get(self, request, optimization_id: int):
        row = viewable_optimization(request.user, optimization_id)
        query = FrontierQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        frontier = optimization_frontier(optimization=row, points=query.validated_data["points"])
        return Response({"optimization": row.pk, **frontier})
