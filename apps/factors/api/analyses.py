"""POST /api/factors/analyze: analyse factors over a universe and window (IC, quantile returns,
turnover, decay, IC by sector), one stored analysis per factor; GET /api/factors/analyses/{id}.

A request of at most FACTORS_SYNC_MAX_CELLS factor x date x symbol cells (dates estimated from the
window and the factors' bar interval, an upper bound) is answered at once; a larger one runs as a job
on the factors queue (200 with the same answer when it finishes within the synchronous wait, else
202 with the job; `?async=1` always 202)."""

from __future__ import annotations

import math

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.marketdata import facade as marketdata
from apps.platform.api.serializers.jobs import JobSerializer
from apps.platform.responses import job_response
from apps.platform.services import job_start
from apps.platform.timestamps import iso_utc

from ..selectors.analyses import analysis_document, analysis_get
from ..selectors.requested import definitions_requested, symbols_requested, window_requested
from ..services.analyses import analysis_run, horizons_checked
from ..services.definitions import generated_materialize
from ..tasks.analyze import ANALYZE
from .serializers.analyses import AnalysisSerializer, AnalyzeResponseSerializer, AnalyzeSerializer


def cells_estimate(n_factors: int, n_symbols: int, start, end, interval: str) -> int:
    """Factors x dates x symbols, the dates bounded above by the window over the bar length."""
    return n_factors * n_symbols * math.ceil((end - start) / marketdata.interval_length(interval))


class AnalyzeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Analyse factors over a universe and window (stored; a job when large)",
        tags=["factors"],
        request=AnalyzeSerializer,
        responses={200: AnalyzeResponseSerializer, 202: JobSerializer},
    )
    def post(self, request):
        body = AnalyzeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        generated_materialize(data["factors"])
        definitions = definitions_requested(data["factors"])
        symbols = symbols_requested(data.get("symbols"), data.get("universe"))
        start, end = window_requested(data["start"], data["end"])
        horizons = horizons_checked(data["horizons"])
        cells = cells_estimate(len(definitions), len(symbols), start, end, definitions[0].interval)
        if cells > settings.FACTORS_SYNC_MAX_CELLS:
            params = {
                "definition_ids": [d.pk for d in definitions],
                "symbols": symbols,
                "start": iso_utc(start),
                "end": iso_utc(end),
                "horizons": horizons,
                "quantiles": data["quantiles"],
            }
            job = job_start(engine="factors", task_name=ANALYZE, params=params, user=request.user)
            return job_response(request, job)
        rows = analysis_run(
            definitions=definitions,
            symbols=symbols,
            start=start,
            end=end,
            horizons=horizons,
            quantiles=data["quantiles"],
            user=request.user,
        )
        return Response({"analyses": [analysis_document(r) for r in rows]})


class AnalysisDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="A stored factor analysis", tags=["factors"], responses={200: AnalysisSerializer})
    def get(self, request, analysis_id: int):
        analysis = analysis_get(analysis_id)
        if analysis is None:
            raise Http404("No factor analysis with this id.")
        return Response(analysis_document(analysis))
