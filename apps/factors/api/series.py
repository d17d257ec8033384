"""Stored factors: `POST /api/factors/series` computes one factor over a universe and window and
stores it (one row per date holding the cross-section; new bars then extend it incrementally, see
services/values.py); `GET /api/factors/series` lists them, `GET /api/factors/series/{id}/values`
reads one back. A window of more than FACTORS_SYNC_MAX_CELLS dates x symbols is refused (400 on
`end`): store it in parts."""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.marketdata import facade as marketdata
from apps.platform.numbers import json_safe
from apps.platform.timestamps import iso_utc

from ..kernels.expressions import FormulaError
from ..selectors.evaluation import NoData
from ..selectors.panels import UnknownFieldData
from ..selectors.requested import definitions_requested, symbols_requested, window_requested
from ..selectors.values import series_by_id, series_document, series_recent, stored_values
from ..services.definitions import generated_materialize
from ..services.values import factor_store
from .serializers.series import (
    SeriesCreateSerializer,
    SeriesSerializer,
    SeriesValuesQuerySerializer,
    SeriesValuesSerializer,
)


def _checked(fn):
    """Bad requests found while computing: 400 keyed by the field that caused them."""
    try:
        return fn()
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    except NoData as exc:
        raise ValidationError({"start": [str(exc)]}) from None
    except (FormulaError, UnknownFieldData) as exc:
        raise ValidationError({"factor": [str(getattr(exc, "message", exc))]}) from None


class SeriesListCreate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Stored factors", tags=["factors"], responses={200: SeriesSerializer(many=True)})
    def get(self, request):
        return Response([series_document(s) for s in series_recent()])

    @extend_schema(
        summary="Compute one factor over a universe and window and store it (extended on new bars)",
        tags=["factors"],
        request=SeriesCreateSerializer,
        responses={201: SeriesSerializer},
    )
    def post(self, request):
        body = SeriesCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        generated_materialize([data["factor"]])
        (definition,) = _checked(lambda: definitions_requested([data["factor"]], field="factor"))
        symbols = _checked(lambda: symbols_requested(data.get("symbols"), data.get("universe")))
        start, end = _checked(lambda: window_requested(data["start"], data["end"]))
        rows = math.ceil((end - start) / marketdata.interval_length(definition.interval))
        if rows * len(symbols) > settings.FACTORS_SYNC_MAX_CELLS:
            raise ValidationError(
                {"end": [f"{rows} dates x {len(symbols)} symbols is more than FACTORS_SYNC_MAX_CELLS "
                         f"({settings.FACTORS_SYNC_MAX_CELLS:,}) to store at once: store the window in parts"]}
            )  # fmt: skip
        series = _checked(lambda: factor_store(definition=definition, symbols=symbols, start=start, end=end))
        return Response(series_document(series), status=status.HTTP_201_CREATED)


class SeriesValuesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A stored factor's values",
        tags=["factors"],
        parameters=[SeriesValuesQuerySerializer],
        responses={200: SeriesValuesSerializer},
    )
    def get(self, request, series_id: int):
        series = series_by_id(series_id)
        if series is None:
            raise Http404("No stored factor with this id.")
        query = SeriesValuesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        asked = query.validated_data
        start = marketdata.window_start_utc(asked["start"]) if asked.get("start") else None
        end = marketdata.window_end_utc(asked["end"]) if asked.get("end") else None
        frame = stored_values(series, start, end)
        return Response(
            {
                "dates": [iso_utc(ts) for ts in frame.index],
                "symbols": list(frame.columns),
                "values": json_safe(frame.to_numpy().tolist()),
            }
        )
