"""Bars endpoint: bars for many symbols with server-side resampling (JSON, CSV, Parquet)."""

from __future__ import annotations

import io

import pandas as pd
from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.platform.negotiation import QueryFormatIsAField

from ..selectors import bars as selectors
from ..selectors.bars import BarsResult
from ..selectors.errors import RangeTooLargeError, UnknownSymbolError
from .serializers.bars import COLUMNS, BarsQuerySerializer, bars_document

BARS_DOC = """
Bars for one or more symbols at `interval`, resampled on the server from the stored interval that
fits: the requested interval itself when stored, else the coarsest stored interval that divides it
(1m -> 5m/15m/1h/1d, 1d -> 1w/1mo); `source_interval` says which, per symbol.

**Buckets** are left-labelled and left-closed in UTC: the bar at `ts` covers [ts, ts + interval).
Daily buckets are UTC calendar days, weekly buckets start Monday 00:00 UTC, monthly buckets are UTC
calendar months. Aggregation: open first, high max, low min, close and adj_close last, volume and
trade_count summed, vwap volume-weighted. Buckets without bars are omitted.

**partial** is true for a bucket that reaches outside the window [start, min(end, now)): the first
one when `start` falls inside it, the last one when it has not closed by `end` (or by now). Its
figures cover only part of its span.

**Window**: `start` inclusive, `end` exclusive; a bare date as `end` includes that whole day; naive
times are UTC. `adjusted=true` scales open/high/low/close/vwap by adj_close/close bar by bar before
resampling (volume as traded).

**Formats**: `json` (default) — `{"interval", "adjusted", "start", "end", "rows", "symbols": {SYM:
{"source_interval", "ts": [...], "open": [...], ..., "partial": [...]}}}`, ISO 8601 UTC times,
null for missing values; `csv` and `parquet` — a download in long format, one row per (symbol, ts)
with the columns symbol, ts, open, high, low, close, adj_close, volume, vwap, trade_count, partial.

**Limits**: at most MARKETDATA_READ_MAX_SYMBOLS symbols (500) and MARKETDATA_BARS_MAX_ROWS source
bars (1,000,000) per request; beyond that a 400 asks for a narrower window.
"""

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def max_rows() -> int:
    return settings.MARKETDATA_BARS_MAX_ROWS


class ReadView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = QueryFormatIsAField


class BarsView(ReadView):
    @extend_schema(
        summary="Bars for many symbols, resampled server-side (JSON, CSV or Parquet)",
        description=BARS_DOC,
        parameters=[BarsQuerySerializer],
        tags=["marketdata"],
        responses={200: dict},
    )
    def get(self, request):
        query = BarsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        try:
            result = selectors.bars_frame(
                symbols=q["symbols"],
                interval=q["interval"],
                start=q.get("start"),
                end=q.get("end"),
                adjusted=q["adjusted"],
                max_rows=max_rows(),
            )
        except UnknownSymbolError as exc:
            raise serializers.ValidationError({"symbols": [str(exc)]}) from None
        except RangeTooLargeError as exc:
            raise serializers.ValidationError({"start": [str(exc)]}) from None
        frame = result.frame.loc[:, list(COLUMNS)]
        if q["format"] == "json":
            return Response(bars_document(result, frame, q))
        return _download(result, frame, q["format"])


def _download(result: BarsResult, frame: pd.DataFrame, fmt: str) -> HttpResponse:
    frame = frame.astype({"symbol": str})  # a plain string column, not a Parquet dictionary
    if fmt == "csv":
        payload = frame.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%SZ").encode()
    else:
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False, engine="pyarrow")
        payload = buf.getvalue()
    response = HttpResponse(payload, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="bars_{result.interval}.{fmt}"'
    response["X-Source-Intervals"] = ",".join(f"{s}={iv or ''}" for s, iv in result.source_intervals.items())
    return response
