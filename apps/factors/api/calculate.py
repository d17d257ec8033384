"""POST /api/factors/calculate: factor values for a universe over a window, from formulas or stored
factors. Up to FACTORS_SYNC_MAX_CELLS cells (dates x symbols x factors, the dates estimated from the
calendar before reading) the answer comes at once: JSON (one dates x symbols matrix per factor, NaN
as null), or CSV / Parquet in long form (date, symbol, one column per factor). Above it, 202 with a
job on the factors queue (progress at /api/jobs/{id}); its Parquet file is downloaded from
GET /api/factors/calculate/{job_id}/download once it succeeded.

Bad input is a 400 naming the field: a wrong formula `formula` / `formulas` with the position (also
a window longer than the data, an unknown `$f.` feature), `factors` an unknown name, `symbols` an
unknown symbol or too many, `end` a window that ends before it starts, `start` a window without bars."""

from __future__ import annotations

import io
import json

import numpy as np
from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from apps.platform.api.serializers.jobs import JobSerializer
from apps.platform.negotiation import QueryFormatIsAField
from apps.platform.responses import job_response
from apps.platform.services import job_start

from ..selectors.calculate import (
    Calculation,
    FormulaProblem,
    calculation_resolve,
    calculation_values,
    values_long,
)
from ..selectors.evaluation import FactorValues
from ..services.calculate import CALCULATE_FILES, PARQUET
from ..services.definitions import generated_materialize
from ..tasks.calculate import CALCULATE
from .formulas import FormulaInvalid
from .serializers.calculate import FactorCalculateSerializer, FactorValuesSerializer


def _iso(dates) -> list[str]:
    return [d.isoformat().replace("+00:00", "Z") for d in dates]


def _matrix(panel: np.ndarray) -> list[list[float | None]]:
    # Python's float repr (shortest exact text); NaN as null.
    out = np.asarray(panel, dtype=np.float64).astype(object)
    out[np.isnan(panel)] = None
    return out.tolist()


def _json(calc: Calculation, values: FactorValues) -> HttpResponse:
    body = {
        "dates": _iso(values.dates),
        "symbols": list(values.symbols),
        "factors": [
            {"label": label, "formula": tree.source, "canonical": tree.key, "values": _matrix(panel)}
            for label, tree, panel in zip(calc.labels, calc.trees, values.values, strict=True)
        ],
        "fingerprint": values.fingerprint,
    }
    return HttpResponse(json.dumps(body), content_type="application/json")


def _file(calc: Calculation, values: FactorValues, fmt: str) -> HttpResponse:
    frame = values_long(values, calc.labels)
    if fmt == "csv":
        frame["date"] = _iso(frame["date"])
        return HttpResponse(frame.to_csv(index=False, float_format="%.17g"), content_type="text/csv")
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    response = HttpResponse(buffer.getvalue(), content_type=PARQUET)
    response["Content-Disposition"] = 'attachment; filename="factors.parquet"'
    return response


class CalculateView(APIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = QueryFormatIsAField

    @extend_schema(
        summary="Factor values for symbols over a window (JSON, CSV or Parquet; a job when large)",
        description=__doc__,
        tags=["factors"],
        request=FactorCalculateSerializer,
        responses={
            (200, "application/json"): FactorValuesSerializer,
            (200, "text/csv"): str,
            (200, PARQUET): bytes,
            202: OpenApiResponse(JobSerializer, description="Too large to answer at once: the job."),
        },
    )
    def post(self, request):
        body = FactorCalculateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        fmt = data.pop("format")
        generated_materialize(data.get("factors") or ())
        try:
            calc = calculation_resolve(**data)
            if calc.cells_estimate() > settings.FACTORS_SYNC_MAX_CELLS:
                job = job_start(
                    engine="factors", task_name=CALCULATE, params=calc.params(), user=request.user
                )
                return job_response(request, job, wait_seconds=0)
            values = calculation_values(calc)
        except FormulaProblem as exc:
            raise FormulaInvalid(exc.detail()) from None
        return _json(calc, values) if fmt == "json" else _file(calc, values, fmt)


class CalculateDownloadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Download a calculate job's values (Parquet, long form)",
        tags=["factors"],
        responses={(200, PARQUET): OpenApiResponse(bytes, description="date, symbol, one column per factor")},
    )
    def get(self, request, job_id):
        return CALCULATE_FILES.download(
            request.user, job_id=job_id, task_name=CALCULATE, filename_prefix="factors-"
        )
