"""POST /api/features/historical: point-in-time retrieval — for entity rows (symbol, ts), each
feature's stored value as it was known at ts (selectors/historical.py). JSON or Parquet in and out;
bad input is a 400 keyed by field."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.platform.exceptions import RequestTooLarge
from apps.platform.negotiation import QueryFormatIsAField
from apps.platform.parsers import DepthLimitedJSONParser

from ..selectors.historical import point_in_time, ttl_by_label
from ..selectors.requests import definitions_requested
from .serializers.historical import (
    JSON_MAX_ENTITY_ROWS,
    PARQUET,
    PARQUET_BYTES_PER_ROW,
    HistoricalDocumentSerializer,
    HistoricalQuerySerializer,
    HistoricalRequestSerializer,
    HistoricalUploadSerializer,
    entities_from_parquet,
    historical_document,
    max_parquet_bytes,
)
from .store_backend import store_required

HISTORICAL_DOC = f"""
For entity rows (symbol, ts), each feature's value **as it was known at ts** (a point-in-time
join, done in the database): the value of the latest stored bar whose close (`known_at` = bar
start + the feature's interval) is at or before ts. A value whose known_at is a TTL or more before
ts is missing (null), not stale. Default TTL: FEATURES_TTL_BARS bars (5) of each feature's
interval; `ttl` overrides it for all features ("36h") or per feature ({{"rsi_14@1": "2d"}}).

**Input**: a JSON body `{{"entities": [{{"symbol": "AAPL", "ts": "2024-03-01T00:00:00Z"}}, ...],
"set": "momentum" | "features": ["rsi_14", "vol_yz@1"], "ttl": ..., "known_at": false}}` (at most
{JSON_MAX_ENTITY_ROWS:,} rows), or a Parquet file with columns symbol and ts — the body itself
(Content-Type: {PARQUET}) or a multipart `file` — with the options as query parameters `set`,
`features` (comma-separated), `ttl` ("5d" or "rsi_14@1=2d,sma_10=3d") and `known_at` (at most
FEATURES_MAX_ENTITY_ROWS rows, 1,000,000, and {PARQUET_BYTES_PER_ROW} bytes per allowed row: 413).

**Output**: rows in the order given: symbol, ts, one column per feature ("name@version") and, with
`known_at`, "name@version.known_at". JSON by default (`rows`, plus `features`, `ttl_seconds` and
`unknown_symbols`, whose rows are all null); Parquet with `?format=parquet` or
`Accept: {PARQUET}` (the unknown symbols in the file's key-value metadata
`unknown_symbols` and the header `X-Unknown-Symbols` with their count).

**400** keyed by field: `features` / `set` (unknown names, or neither given), `ttl`, `entities`
(too many rows, row by row problems as {{row: {{column: ...}}}}), for Parquet `file` (not Parquet)
and `symbol` / `ts` (a missing or mistyped column, bad values with their row numbers).
"""


class ParquetBodyParser(BaseParser):
    """A Parquet file sent as the body itself; the view reads it (entities_from_parquet). Read up
    to its byte bound only (DATA_UPLOAD_MAX_MEMORY_SIZE does not apply to a stream DRF hands over)."""

    media_type = PARQUET

    def parse(self, stream, media_type=None, parser_context=None):
        payload = stream.read(max_parquet_bytes() + 1)
        _check_size(len(payload))
        return {"parquet": payload}


def _check_size(size: int) -> None:
    if size > max_parquet_bytes():
        raise RequestTooLarge(
            f"A Parquet file of entity rows may take {max_parquet_bytes()} bytes "
            f"({PARQUET_BYTES_PER_ROW} per allowed row)."
        )


class HistoricalView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [DepthLimitedJSONParser, ParquetBodyParser, MultiPartParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = QueryFormatIsAField

    @extend_schema(
        summary="Point-in-time feature values for entity rows (symbol, ts): JSON or Parquet",
        description=HISTORICAL_DOC,
        tags=["features"],
        parameters=[HistoricalQuerySerializer],
        request={
            "application/json": HistoricalRequestSerializer,
            PARQUET: OpenApiTypes.BINARY,
            "multipart/form-data": HistoricalUploadSerializer,
        },
        responses={
            (200, "application/json"): HistoricalDocumentSerializer,
            (200, PARQUET): OpenApiTypes.BINARY,
        },
    )
    def post(self, request):
        store_required()
        query = HistoricalQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        fmt = q.get("format") or ("parquet" if PARQUET in request.headers.get("Accept", "") else "json")
        if (request.content_type or "").startswith("application/json"):
            body = HistoricalRequestSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            options, entities = body.validated_data, body.validated_data["entities"]
        else:
            entities, options = entities_from_parquet(_parquet_payload(request)), q
        definitions = definitions_requested(features=options.get("features", ()), set_name=options.get("set"))
        if not definitions:
            raise serializers.ValidationError({"set": ["The feature set has no members."]})
        try:
            ttl = ttl_by_label(definitions, options.get("ttl"))
        except ValueError as exc:
            raise serializers.ValidationError({"ttl": [str(exc)]}) from None
        frame = point_in_time(definitions, entities, ttl, with_known_at=bool(options.get("known_at")))
        labels = [d.label for d in definitions]
        if fmt == "parquet":
            return _parquet_response(frame)
        return Response(historical_document(frame, labels, ttl))


def _parquet_payload(request) -> bytes:
    data = request.data
    upload = data.get("file") if hasattr(data, "get") else None
    if hasattr(upload, "read"):
        _check_size(upload.size)
        return upload.read()
    if isinstance(data, dict) and isinstance(data.get("parquet"), bytes) and data["parquet"]:
        return data["parquet"]
    raise serializers.ValidationError(
        {"file": [f"Send a Parquet file: the body ({PARQUET}) or a multipart field `file`."]}
    )


def _parquet_response(frame) -> HttpResponse:
    unknown = list(frame.attrs.get("unknown_symbols", []))
    table = pa.Table.from_pandas(frame.astype({"symbol": str}), preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), b"unknown_symbols": json.dumps(unknown).encode()}
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    response = HttpResponse(buf.getvalue(), content_type=PARQUET)
    response["Content-Disposition"] = 'attachment; filename="historical.parquet"'
    response["X-Unknown-Symbols"] = str(len(unknown))
    return response
