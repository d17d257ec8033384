"""Stress tests of a stored book and the stress scenarios under /api/risk/.

Stress runs need view access to the portfolio (owner, group, staff); scenarios are global and
readable by any authenticated user, written by staff or holders of
risk.add_/change_/delete_stressscenario.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import scenarios as scenario_reads
from ..selectors import stress
from ..services import scenarios
from .common import body, call, viewable_code
from .serializers.stress import ScenarioSerializer, ScenarioWriteSerializer, StressRequestSerializer

STRESS_DOC = """
P&L of the stored book per position and in total (money and fraction of NAV) under `scenario`
(a stored scenario's name or id), several `scenarios`, inline `shocks` ({"instrument": {"AAPL": -0.2},
"sector": {...}, "currency": {"EUR": -0.1}, "factor": {"SPY": -0.1}}) or a `historical` window
({start, end}: each instrument's return over it applied to today's value). Factor shocks use OLS
betas of each instrument on the factor's returns over `beta_window` days.
"""


class StressView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Stress test a portfolio",
        description=STRESS_DOC,
        tags=["risk"],
        request=StressRequestSerializer,
        responses={200: OpenApiResponse(description="P&L per scenario, per position and in total.")},
    )
    def post(self, request, portfolio: str):
        code = viewable_code(request.user, portfolio)
        params = body(StressRequestSerializer, request)
        return Response(call(stress.stress_run, portfolio=code, **params))


def _require_perm(user, action: str) -> None:
    if not (user.is_staff or user.has_perm(f"risk.{action}_stressscenario")):
        raise PermissionDenied(f"Needs staff or the risk.{action}_stressscenario permission.")


class ScenarioListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Stress scenarios", tags=["risk"], responses={200: ScenarioSerializer(many=True)})
    def get(self, request):
        rows = scenario_reads.scenarios_list()
        return Response(ScenarioSerializer(rows, many=True).data)

    @extend_schema(
        summary="Create a stress scenario",
        tags=["risk"],
        request=ScenarioWriteSerializer,
        responses={201: ScenarioSerializer},
    )
    def post(self, request):
        _require_perm(request.user, "add")
        data = body(ScenarioWriteSerializer, request)
        scenario = call(scenarios.scenario_create, data=data, user=request.user)
        return Response(ScenarioSerializer(scenario).data, status=status.HTTP_201_CREATED)


class ScenarioDetailView(APIView):
    permission_classes = [IsAuthenticated]

    def _get(self, scenario_id: int):
        scenario = scenario_reads.scenario_by_id(scenario_id)
        if scenario is None:
            raise NotFound(f"No stress scenario {scenario_id}.")
        return scenario

    @extend_schema(summary="A stress scenario", tags=["risk"], responses={200: ScenarioSerializer})
    def get(self, request, scenario_id: int):
        return Response(ScenarioSerializer(self._get(scenario_id)).data)

    @extend_schema(
        summary="Change a stress scenario",
        tags=["risk"],
        request=ScenarioWriteSerializer,
        responses={200: ScenarioSerializer},
    )
    def patch(self, request, scenario_id: int):
        self._get(scenario_id)
        _require_perm(request.user, "change")
        data = body(ScenarioWriteSerializer, request)
        scenario = call(scenarios.scenario_update, scenario_id=scenario_id, data=data, user=request.user)
        return Response(ScenarioSerializer(scenario).data)

    @extend_schema(summary="Delete a stress scenario", tags=["risk"], responses={204: None})
    def delete(self, request, scenario_id: int):
        self._get(scenario_id)
        _require_perm(request.user, "delete")
        scenarios.scenario_delete(scenario_id=scenario_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
