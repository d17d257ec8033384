"""POST /api/risk/check/{portfolio}: limits of the stored book, ad-hoc positions or proposed orders,
synchronously (no Celery round trip: the check is one kernel pass). And the monitor's switch and
status: POST /api/risk/monitor/start, /stop, GET /api/risk/monitor/status."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.portfolio import facade as portfolio_facade

from ..selectors import monitor as monitor_reads
from ..selectors.check import portfolio_check
from ..services.monitor import monitor_switch
from .serializers.checks import CheckRequestSerializer, CheckResponseSerializer, MonitorStatusSerializer


class CheckView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Check a portfolio's limits: the stored book, ad-hoc positions, or proposed orders (pre-trade)",
        tags=["risk"],
        request=CheckRequestSerializer,
        responses={200: CheckResponseSerializer},
    )
    def post(self, request, portfolio_id: str):
        info = portfolio_facade.portfolio_viewable(request.user, portfolio_id)
        body = CheckRequestSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = portfolio_check(
            portfolio=info.id,
            positions=data.get("positions"),
            portfolio_value=data.get("portfolio_value"),
            orders=data.get("orders"),
        )
        return Response(result)


class CanSwitchMonitor(BasePermission):
    message = "Starting or stopping the monitor needs staff or the risk.change_monitorstate permission."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and (user.is_staff or user.has_perm("risk.change_monitorstate"))
        )


class _MonitorSwitch(APIView):
    permission_classes = [IsAuthenticated, CanSwitchMonitor]
    enabled = True

    def post(self, request):
        monitor_switch(enabled=self.enabled, user=request.user)
        return Response(MonitorStatusSerializer(monitor_reads.monitor_status()).data)


class MonitorStartView(_MonitorSwitch):
    enabled = True

    @extend_schema(
        summary="Start the 5-second risk monitor",
        tags=["risk"],
        request=None,
        responses={200: MonitorStatusSerializer},
    )
    def post(self, request):
        return super().post(request)


class MonitorStopView(_MonitorSwitch):
    enabled = False

    @extend_schema(
        summary="Stop the risk monitor", tags=["risk"], request=None, responses={200: MonitorStatusSerializer}
    )
    def post(self, request):
        return super().post(request)


class MonitorStatusView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The risk monitor: switch, Beat schedule, last run, open breaches",
        tags=["risk"],
        responses={200: MonitorStatusSerializer},
    )
    def get(self, request):
        return Response(MonitorStatusSerializer(monitor_reads.monitor_status()).data)
