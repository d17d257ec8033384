"""POST /api/features/compute: compute feature definitions for many instruments and store them, as a
job (progress at /api/jobs/{id}). Answers the job's result when it finishes within the synchronous
wait, else 202 with the job; `?async=1` always answers 202 at once."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from apps.marketdata import facade as marketdata
from apps.platform.api.serializers.jobs import JobSerializer
from apps.platform.responses import job_response
from apps.platform.services import job_start

from ..selectors.requests import definitions_requested, instruments_requested, intervals_with_bars
from ..tasks.compute import RUN
from .serializers.compute import ComputeSerializer
from .store_backend import store_required


def _iso(value) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


class ComputeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Compute and store features for many instruments (a job)",
        tags=["features"],
        request=ComputeSerializer,
        responses={200: dict, 202: JobSerializer},
    )
    def post(self, request):
        store_required()
        body = ComputeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        definitions = definitions_requested(
            features=data["features"], set_name=data.get("set"), computable=True
        )
        if len(definitions) > settings.FEATURES_COMPUTE_MAX_DEFINITIONS:
            raise ValidationError(
                {"features": [f"at most {settings.FEATURES_COMPUTE_MAX_DEFINITIONS} definitions per job"]}
            )
        interval = data.get("interval")
        if interval is not None:
            if interval not in marketdata.bar_intervals():
                raise ValidationError({"interval": [f"use one of {', '.join(marketdata.bar_intervals())}"]})
            other = [d.label for d in definitions if d.interval != interval]
            if other:
                raise ValidationError({"features": [f"not at interval {interval}: {', '.join(other)}"]})
        instruments = instruments_requested(data["symbols"], cap=settings.FEATURES_COMPUTE_MAX_SYMBOLS)
        intervals_with_bars(definitions, list(instruments))
        start = marketdata.window_start_utc(data.get("start") or None)
        end = marketdata.window_end_utc(data.get("end") or None)
        if start is not None and end is not None and start >= end:
            raise ValidationError({"end": ["must be after start"]})
        params = {
            "definition_ids": [d.pk for d in definitions],
            "symbols": list(instruments),
            "start": _iso(start),
            "end": _iso(end),
        }
        job = job_start(engine="features", task_name=RUN, params=params, user=request.user)
        return job_response(request, job)
