"""Bars: query-string validation (every bad input becomes a 400 naming its field; the symbol and
instant fields are shared with the snapshot) and the JSON document of an answer."""

from __future__ import annotations

import pandas as pd
from django.conf import settings
from rest_framework import serializers

from apps.platform.fields import instant_problem, printable_problem
from apps.platform.timestamps import iso_utc

from ...kernels.times import window_end, window_start
from ...models import INTERVALS
from ...selectors.bars import BarsResult
from ...selectors.instruments import normalize_symbol

BAR_FORMATS = ("json", "csv", "parquet")
COLUMNS = (
    "symbol",
    "ts",
    "open",
    "high",
    "low",
    "close",
    "adj_close",
    "volume",
    "vwap",
    "trade_count",
    "partial",
)


def max_symbols() -> int:
    return settings.MARKETDATA_READ_MAX_SYMBOLS


class SymbolsField(serializers.CharField):
    """Comma-separated symbols, upper-cased, duplicates dropped, order kept."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        symbols = list(dict.fromkeys(s for s in (normalize_symbol(p) for p in text.split(",")) if s))
        if not symbols:
            raise serializers.ValidationError("Give at least one symbol, e.g. symbols=AAPL,MSFT.")
        bad = next((s for s in symbols if printable_problem(s)), None)
        if bad is not None:
            raise serializers.ValidationError(f"{bad!r}: {printable_problem(bad)}")
        if len(symbols) > max_symbols():
            raise serializers.ValidationError(f"At most {max_symbols()} symbols per request.")
        return symbols


class InstantField(serializers.CharField):
    """An ISO date or datetime (naive = UTC). `end=True`: a bare date includes its whole day."""

    def __init__(self, *, end: bool = False, **kwargs):
        self.is_end = end
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            named = window_start(text)
        except (ValueError, OverflowError):
            raise serializers.ValidationError(
                "Use an ISO 8601 date or datetime, e.g. 2024-03-01 or 2024-03-01T14:30:00Z."
            ) from None
        # Year 1 parses (at microsecond resolution) but no bar table reaches it: 400, not a 500.
        problem = instant_problem(named)
        if problem:
            raise serializers.ValidationError(problem)
        return window_end(text) if self.is_end else named


class BarsQuerySerializer(serializers.Serializer):
    symbols = SymbolsField()
    interval = serializers.ChoiceField(choices=INTERVALS, default="1d")
    start = InstantField(required=False, help_text="Inclusive. ISO date or datetime; naive = UTC.")
    end = InstantField(
        end=True, required=False, help_text="Exclusive instant; a bare date includes that whole UTC day."
    )
    adjusted = serializers.BooleanField(default=False)
    # `format` is DRF's renderer override by default; the view switches that off so it can be ours.
    format = serializers.ChoiceField(choices=BAR_FORMATS, default="json")

    def validate(self, attrs):
        start, end = attrs.get("start"), attrs.get("end")
        if start is not None and end is not None and start >= end:
            raise serializers.ValidationError({"end": "end must be later than start."})
        return attrs


def bars_document(result: BarsResult, frame: pd.DataFrame, q: dict) -> dict:
    """The JSON answer: per symbol its source interval and one list per column."""
    symbols = {}
    for sym, source in result.source_intervals.items():
        rows = frame[frame["symbol"] == sym]
        doc: dict = {"source_interval": source, "ts": rows["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").tolist()}
        for col in COLUMNS[2:]:
            doc[col] = _json_list(rows[col])
        symbols[sym] = doc
    return {
        "interval": result.interval,
        "adjusted": q["adjusted"],
        "start": iso_utc(q.get("start")),
        "end": iso_utc(q.get("end")),
        "rows": len(frame),
        "symbols": symbols,
    }


def _json_list(col: pd.Series) -> list:
    """Column values as JSON-ready Python scalars, None where missing (JSON has no NaN)."""
    values = col.astype(object).to_numpy(copy=True)
    values[col.isna().to_numpy()] = None
    return values.tolist()
