"""The engines: the list with their health, one engine's health, its selftest (a job)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workers.registry import ENGINES, ENGINES_BY_KEY, Engine

from ..health import engines_health
from ..responses import job_response
from ..services import job_start
from .serializers.engines import EngineHealthDetailSerializer, EngineSerializer
from .serializers.jobs import JobSerializer, SelftestSerializer


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
