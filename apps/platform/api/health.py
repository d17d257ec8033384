"""/health (liveness and readiness) and /metrics (Prometheus)."""

from __future__ import annotations

from django.http import HttpResponse
from django_prometheus.exports import ExportToDjangoView
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..health import UNHEALTHY, platform_health
from ..metrics import queue_depths_sample


class HealthView(APIView):
    """Liveness and readiness for load balancers and the launcher: no auth, no throttling."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        doc = platform_health()
        code = status.HTTP_503_SERVICE_UNAVAILABLE if doc["status"] == UNHEALTHY else status.HTTP_200_OK
        return Response(doc, status=code)


def metrics_view(request) -> HttpResponse:
    """GET /metrics: django-prometheus's exporter (multiprocess-aware when PROMETHEUS_MULTIPROC_DIR
    is set), after a fresh queue-depth sample so the gauge is current at scrape time."""
    queue_depths_sample()
    return ExportToDjangoView(request)
