"""Platform HTTP: /health, /metrics, jobs, engine list/health, the engine selftest and the API token."""

from __future__ import annotations

from django.http import HttpResponse
from django_prometheus.exports import ExportToDjangoView
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workers.registry import ENGINES, ENGINES_BY_KEY, Engine

from .auth_token import TokenObtainSerializer, TokenObtainThrottle, TokenSerializer
from .health import UNHEALTHY, engines_health, platform_health
from .metrics import queue_depths_sample
from .responses import job_response
from .selectors import job_get, job_visible_to
from .serializers import JobSerializer, SelftestSerializer
from .serializers_engines import EngineHealthDetailSerializer, EngineSerializer
from .services import job_start


def _engine_or_404(key: str) -> Engine:
    eng = ENGINES_BY_KEY.get(key)
    if eng is None:
        raise NotFound(f"unknown engine {key!r}")
    return eng


def _engine_doc(e: Engine) -> dict:
    return {
        "key": e.key,
        "queue": e.queue,
        "url_prefix": e.url_prefix,
        "pool": e.pool,
        "concurrency": e.concurrency,
        "lanes": [
            {"name": lane.name, "pool": lane.pool, "concurrency": lane.concurrency} for lane in e.lanes
        ],
        "memory_gb": e.memory_per_child_gib,
        "soft_time_limit": e.soft_time_limit_s,
        "time_limit": e.time_limit_s,
        "priority": e.priority,
        "description": e.description,
    }


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


class EngineListView(APIView):
    """Every engine with its health. The worker part comes from the shared snapshot the platform
    heartbeat keeps (health.workers_snapshot), so a call does not wait for a worker broadcast."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: EngineSerializer(many=True)})
    def get(self, request: Request) -> Response:
        health = engines_health()
        return Response([_engine_doc(e) | {"health": health[e.key]} for e in ENGINES])


class EngineHealthView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: EngineHealthDetailSerializer})
    def get(self, request: Request, engine: str) -> Response:
        eng = _engine_or_404(engine)
        return Response({"engine": eng.key, **engines_health([eng.key])[eng.key]})


class EngineSelftestView(APIView):
    """Staff only: a selftest occupies a worker of the engine (risk has a single one)."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        request=SelftestSerializer,
        responses={200: OpenApiTypes.OBJECT, 202: JobSerializer, 502: JobSerializer},
    )
    def post(self, request: Request, engine: str) -> Response:
        eng = _engine_or_404(engine)
        ser = SelftestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        job = job_start(
            engine=eng.key,
            task_name="apps.platform.tasks.selftest",
            params=ser.validated_data,
            user=request.user,
        )
        return job_response(request, job)


class JobDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: JobSerializer})
    def get(self, request: Request, pk) -> Response:
        job = job_get(job_id=pk)
        if job is None:
            raise NotFound("no such job")
        if not job_visible_to(job, request.user):
            raise PermissionDenied("this job belongs to someone else")
        return Response(JobSerializer(job, context={"request": request}).data)


class TokenObtainView(APIView):
    """Exchange a username and password for the user's API token (created on first use)."""

    authentication_classes: list = []  # a stale session or token must not change the answer
    permission_classes = [AllowAny]
    throttle_classes = [TokenObtainThrottle]
    throttle_scope = "auth_token"

    @extend_schema(
        request=TokenObtainSerializer,
        # 400 (missing fields, bad credentials) and 429 come from the shared error answers.
        responses={200: TokenSerializer},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        ser = TokenObtainSerializer(data=request.data, context={"request": request})
        ser.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=ser.validated_data["user"])
        return Response(TokenSerializer({"token": token.key}).data)
