"""POST /api/factors/screen: score many factors of the generated catalogue or a library over a
universe and window (selectors/screening.py), always as a job on the factors queue (202; 200 when
it finishes within the synchronous wait): its result lists the strongest factors with p-values
adjusted over everything screened and whether the best is better than luck."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from apps.platform.api.serializers.jobs import JobSerializer
from apps.platform.responses import job_response
from apps.platform.services import job_start
from apps.platform.timestamps import iso_utc

from ..kernels.generated import GENERATED_COUNT
from ..kernels.library import LIBRARY
from ..selectors.requested import symbols_requested, window_requested
from ..tasks.screening import SCREEN
from .serializers.screening import ScreenResultSerializer, ScreenSerializer


class ScreenView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Screen many factors (the generated catalogue or a library) by rank IC, as a job",
        tags=["factors"],
        request=ScreenSerializer,
        responses={
            200: OpenApiResponse(ScreenResultSerializer, description="Finished within the wait."),
            202: JobSerializer,
        },
    )
    def post(self, request):
        body = ScreenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        size = GENERATED_COUNT if data["library"] == "generated" else len(LIBRARY[data["library"]])
        if data["first"] >= size:
            raise ValidationError({"first": [f"{data['library']} has {size} entries (0 to {size - 1})"]})
        symbols = symbols_requested(data.get("symbols"), data.get("universe"))
        start, end = window_requested(data["start"], data["end"])
        params = {
            "library": data["library"],
            "first": data["first"],
            "count": min(data["count"], size - data["first"]),
            "symbols": symbols,
            "start": iso_utc(start),
            "end": iso_utc(end),
            "horizon": data["horizon"],
            "top": data["top"],
        }
        job = job_start(engine="factors", task_name=SCREEN, params=params, user=request.user)
        return job_response(request, job)
