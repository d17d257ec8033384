"""GET /api/features/values: stored feature values for symbols over a window, as known at `as_of`,
as JSON, CSV or Parquet. One row per symbol and bar: symbol, ts (bar start), known_at (bar close)
and one column per feature ("name@version"); NaN/empty where a feature has no value (warm-up, or not
computed there). JSON also says, per feature, how many warm-up values each symbol has in the answer
and which symbols have nothing stored (compute them with POST /api/features/compute)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from apps.marketdata import facade as marketdata
from apps.platform.negotiation import QueryFormatIsAField

from ..selectors.requests import definitions_requested, instruments_requested
from ..selectors.values import TooManyRows, stored_values
from .serializers.values import ValuesQuerySerializer
from .store_backend import store_required

_ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


def _iso_column(values: pd.Series) -> pd.Series:
    return values.dt.strftime(_ISO).str.replace(".000000Z", "Z", regex=False)


def _warmup(frame: pd.DataFrame, labels: list[str]) -> dict[str, dict[str, int]]:
    """Per feature and symbol: the NaN values before its first value in this answer."""
    out: dict[str, dict[str, int]] = {}
    for label in labels:
        has = frame[label].notna().to_numpy()
        per = {}
        for symbol, idx in frame.groupby("symbol", sort=False).indices.items():
            seen = has[idx]
            per[str(symbol)] = int(seen.argmax()) if seen.any() else int(len(idx))
        out[label] = per
    return out


def _json(frame: pd.DataFrame, labels, symbols, as_of) -> HttpResponse:
    missing = {
        label: [s for s in symbols if not frame.loc[frame["symbol"] == s, label].notna().any()]
        for label in labels
    }
    head = {
        "features": labels,
        "symbols": symbols,
        "as_of": as_of,
        "count": len(frame),
        "warmup": _warmup(frame, labels),
        "missing": missing,
    }
    # Python's float repr: the shortest text that reads back to the same double (pandas' to_json
    # rounds to 15 decimals, which is neither exact nor short). NaN becomes null.
    columns = {
        "symbol": frame["symbol"].tolist(),
        "ts": _iso_column(frame["ts"]).tolist(),
        "known_at": _iso_column(frame["known_at"]).tolist(),
    }
    for label in labels:
        values = frame[label].to_numpy(dtype=float)
        columns[label] = np.where(np.isnan(values), None, values).tolist()
    names = list(columns)
    rows = [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    return HttpResponse(json.dumps({**head, "rows": rows}), content_type="application/json")


class ValuesView(APIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = QueryFormatIsAField

    @extend_schema(
        summary="Stored feature values (JSON, CSV or Parquet), point in time with as_of",
        tags=["features"],
        parameters=[ValuesQuerySerializer],
        responses={
            (200, "application/json"): dict,
            (200, "text/csv"): str,
            (200, "application/vnd.apache.parquet"): bytes,
        },
    )
    def get(self, request):
        store_required()
        query = ValuesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        definitions = definitions_requested(features=q["features"], set_name=q.get("set"))
        instruments = instruments_requested(q["symbols"], cap=settings.FEATURES_VALUES_MAX_SYMBOLS)
        start = marketdata.window_start_utc(q.get("start") or None)
        end = marketdata.window_end_utc(q.get("end") or None)
        if start is not None and end is not None and start >= end:
            raise ValidationError({"end": ["must be after start"]})
        as_of = marketdata.window_start_utc(q.get("as_of") or None)
        cap = settings.FEATURES_VALUES_MAX_ROWS
        try:
            frame = stored_values(
                definitions=definitions,
                instruments=instruments,
                start=start,
                end=end,
                as_of=as_of,
                max_rows=cap,
            )
        except TooManyRows:
            raise ValidationError(
                {"rows": [f"more than {cap} rows (symbol x bar): narrow symbols, start/end, or use as_of"]}
            ) from None
        labels = [d.label for d in definitions]
        if q["format"] == "csv":
            out = frame.assign(ts=_iso_column(frame["ts"]), known_at=_iso_column(frame["known_at"]))
            return HttpResponse(out.to_csv(index=False, float_format="%.17g"), content_type="text/csv")
        if q["format"] == "parquet":
            buf = io.BytesIO()
            frame.astype({label: np.float64 for label in labels}).to_parquet(buf, index=False)
            response = HttpResponse(buf.getvalue(), content_type="application/vnd.apache.parquet")
            response["Content-Disposition"] = 'attachment; filename="features.parquet"'
            return response
        return _json(
            frame,
            labels,
            list(instruments),
            None if as_of is None else as_of.isoformat().replace("+00:00", "Z"),
        )
