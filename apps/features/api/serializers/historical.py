"""Point-in-time retrieval (`POST /api/features/historical`): the request read from a JSON body or
a Parquet file into a frame of entity rows and the options, every problem a 400 keyed by its field,
and the answer's JSON document.

Entity rows are checked column-wise (one pass over the timestamps with pandas), never one DRF
serializer per row: a request may carry a million of them. Limits:
- Parquet: FEATURES_MAX_ENTITY_ROWS rows (counted from the file's footer before any column is
  read), and at most PARQUET_BYTES_PER_ROW bytes per allowed row (a 413 beyond, before parsing).
- JSON: JSON_MAX_ENTITY_ROWS rows. DRF reads a JSON body whole under DATA_UPLOAD_MAX_MEMORY_SIZE
  (2.5 MB by default, a 413 beyond), about 40,000 entity rows; the row cap sits below that so the
  answer to "too many" is the same 400 for every client. Larger requests go as Parquet.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.platform.fields import SYMBOL_MAX_LENGTH, printable_problem, range_message, timestamp_bounds
from apps.platform.timestamps import iso_utc

from ...selectors.historical import KNOWN_AT_SUFFIX

JSON_MAX_ENTITY_ROWS = 20_000
PARQUET_BYTES_PER_ROW = 256  # symbol and ts take ~10-50; room for the other columns a file may carry
OUTPUT_FORMATS = ("json", "parquet")
PARQUET = "application/vnd.apache.parquet"
TTL_RE = re.compile(r"^([1-9][0-9]{0,6})(s|m|h|d|w)$")
TTL_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
TTL_MAX = pd.Timedelta(days=36_600)
TS_HELP = "ISO 8601 date or date-time; naive = UTC."
_SHOWN_ROWS = 20  # row errors listed per answer


def max_rows(source: str) -> int:
    cap = settings.FEATURES_MAX_ENTITY_ROWS
    return min(cap, JSON_MAX_ENTITY_ROWS) if source == "json" else cap


def max_parquet_bytes() -> int:
    return max_rows("parquet") * PARQUET_BYTES_PER_ROW


def too_many(source: str, n: int) -> serializers.ValidationError:
    return serializers.ValidationError(
        {"entities": [f"{n} entity rows; at most {max_rows(source)} per request with a {source} body."]}
    )


# --- TTL ------------------------------------------------------------------------------------------


def ttl_parse(text: object) -> pd.Timedelta:
    m = TTL_RE.match(text) if isinstance(text, str) else None
    value = pd.Timedelta(**{TTL_UNITS[m.group(2)]: int(m.group(1))}) if m else None
    if value is None or value > TTL_MAX:
        raise ValueError(f"{text!r}: use a whole number and a unit s, m, h, d or w (5d, 36h), up to 36600d.")
    return value


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "pattern": TTL_RE.pattern, "example": "5d"},
            {"type": "object", "additionalProperties": {"type": "string", "pattern": TTL_RE.pattern}},
        ],
        "description": 'One duration for every feature ("5d") or per feature ({"rsi_14@1": "2d"}); '
        "units s, m, h, d, w. Default: FEATURES_TTL_BARS bars of each feature's interval.",
    }
)
class TtlField(serializers.Field):
    """ "5d" for all features, or {"name@version": "2d"}; as Timedelta or {key: Timedelta}."""

    def to_internal_value(self, data):
        try:
            if isinstance(data, dict):
                return {str(k): ttl_parse(v) for k, v in data.items()}
            return ttl_parse(data)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


def ttl_from_query(text: str):
    """Query form: "5d" for all, or "rsi_14@1=2d,sma_10=3d" per feature."""
    if "=" not in text:
        return ttl_parse(text)
    pairs = [part.partition("=") for part in text.split(",")]
    return {key.strip(): ttl_parse(value.strip()) for key, _, value in pairs}


# --- entity rows ----------------------------------------------------------------------------------


def _ts_problems(values: pd.Series) -> tuple[pd.Series, dict[int, str]]:
    """UTC timestamps, and {row: message} for the rows that are none or out of the API's range."""
    if pd.api.types.is_datetime64_any_dtype(values):
        ts = values.dt.tz_localize("UTC") if values.dt.tz is None else values.dt.tz_convert("UTC")
    else:
        text = values.where(values.map(lambda v: isinstance(v, str)), None)
        ts = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    low, high = (pd.Timestamp(t) for t in timestamp_bounds())
    bad_format = ts.isna().to_numpy()
    bad_range = ~bad_format & ((ts < low) | (ts > high)).to_numpy()
    problems = dict.fromkeys(
        np.flatnonzero(bad_format).tolist(), "Use an ISO 8601 date or date-time, e.g. 2024-03-01T00:00:00Z."
    )
    problems.update(dict.fromkeys(np.flatnonzero(bad_range).tolist(), range_message()))
    return ts, problems


def _symbol_problems(values: pd.Series) -> dict[int, str]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    bad = {}
    for k, s in enumerate(uniques):
        if not isinstance(s, str) or not s.strip():
            bad[k] = "A symbol is a non-empty string."
        elif len(s) > SYMBOL_MAX_LENGTH:
            bad[k] = f"At most {SYMBOL_MAX_LENGTH} characters."
        elif printable_problem(s):
            bad[k] = printable_problem(s)
    rows = np.flatnonzero(np.isin(codes, list(bad)) | (codes < 0)).tolist()
    return {r: bad.get(int(codes[r]), "A symbol is a non-empty string.") for r in rows}


def checked_entities(symbols: pd.Series, ts: pd.Series) -> tuple[pd.DataFrame, dict[int, dict[str, str]]]:
    """The entity frame, and {row: {column: message}} for the rows with a bad symbol or ts."""
    ts_utc, ts_bad = _ts_problems(ts.reset_index(drop=True))
    problems: dict[int, dict[str, str]] = {}
    for row, message in _symbol_problems(symbols.reset_index(drop=True)).items():
        problems.setdefault(row, {})["symbol"] = message
    for row, message in ts_bad.items():
        problems.setdefault(row, {})["ts"] = message
    return pd.DataFrame({"symbol": symbols.to_numpy(dtype=object), "ts": ts_utc}), problems


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _first(problems: dict[int, dict[str, str]]) -> dict[str, dict[str, list[str]]]:
    return {str(r): {c: [m] for c, m in problems[r].items()} for r in sorted(problems)[:_SHOWN_ROWS]}


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "symbol": {"type": "string", "maxLength": SYMBOL_MAX_LENGTH},
                "ts": {"type": "string", "format": "date-time", "description": TS_HELP},
            },
            "required": ["symbol", "ts"],
        },
        "description": f"Entity rows, answered in this order; at most {JSON_MAX_ENTITY_ROWS} in JSON.",
    }
)
class EntitiesField(serializers.Field):
    """[{"symbol": ..., "ts": ...}, ...] as a frame; bad rows keyed by index, then by column."""

    def to_internal_value(self, data):
        if not isinstance(data, list) or not data:
            raise serializers.ValidationError('Give a non-empty list of {"symbol": ..., "ts": ...} objects.')
        if len(data) > max_rows("json"):
            raise serializers.ValidationError(too_many("json", len(data)).detail["entities"])
        shape: dict[int, dict[str, str]] = {}
        symbols, ts = [None] * len(data), [None] * len(data)
        for i, item in enumerate(data):
            if not isinstance(item, dict):
                shape[i] = {"non_field_errors": 'Expected an object {"symbol": ..., "ts": ...}.'}
                continue
            for column in ("symbol", "ts"):
                if column not in item:
                    shape.setdefault(i, {})[column] = "This field is required."
                elif not isinstance(item[column], str):
                    shape.setdefault(i, {})[column] = "Expected a string."
            symbols[i], ts[i] = _text(item.get("symbol")), _text(item.get("ts"))
        frame, problems = checked_entities(pd.Series(symbols, dtype=object), pd.Series(ts, dtype=object))
        for row, columns in shape.items():
            problems[row] = columns  # a missing field is named as such, not as a bad value
        if problems:
            raise serializers.ValidationError(_first(problems))
        return frame


def _is_text(t) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def entities_from_parquet(payload: bytes) -> pd.DataFrame:
    """The entity rows of a Parquet file with columns symbol and ts; 400s keyed "file" (not
    Parquet), by the missing column, "entities" (too many rows) or by column with row numbers."""
    try:
        parquet = pq.ParquetFile(io.BytesIO(payload))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise serializers.ValidationError({"file": [f"Not a readable Parquet file: {exc}"]}) from None
    names = set(parquet.schema_arrow.names)
    missing = {
        c: [f"The file has no column {c!r}; it needs symbol and ts."]
        for c in ("symbol", "ts")
        if c not in names
    }
    if missing:
        raise serializers.ValidationError(missing)
    kinds = {
        "symbol": _is_text,
        "ts": lambda t: _is_text(t) or pa.types.is_timestamp(t) or pa.types.is_date(t),
    }
    wrong = {
        c: [
            f"Column {c!r} is {parquet.schema_arrow.field(c).type}; use {'text' if c == 'symbol' else 'timestamps or ISO text'}."
        ]
        for c, ok in kinds.items()
        if not ok(parquet.schema_arrow.field(c).type)
    }
    if wrong:
        raise serializers.ValidationError(wrong)
    n = parquet.metadata.num_rows
    if n > max_rows("parquet"):
        raise too_many("parquet", n)
    if n == 0:
        raise serializers.ValidationError({"entities": ["The file holds no rows."]})
    try:
        table = parquet.read(columns=["symbol", "ts"])
        symbols = table.column("symbol").to_pandas().astype(object)
        ts = table.column("ts").to_pandas(date_as_object=False)  # a date column: its midnight, UTC
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise serializers.ValidationError({"file": [f"Not a readable Parquet file: {exc}"]}) from None
    frame, problems = checked_entities(symbols, ts)
    if problems:
        by_column: dict[str, list[str]] = {}
        for row in sorted(problems)[:_SHOWN_ROWS]:
            for column, message in problems[row].items():
                by_column.setdefault(column, []).append(f"row {row}: {message}")
        raise serializers.ValidationError(by_column)
    return frame


# --- requests and answers -------------------------------------------------------------------------


class HistoricalRequestSerializer(serializers.Serializer):
    """A JSON body."""

    entities = EntitiesField()
    set = serializers.CharField(
        required=False, max_length=64, help_text="A feature set: its pinned versions."
    )
    known_at = serializers.BooleanField(
        default=False, help_text='Add "name@version.known_at": when each value became known.'
    )
    features = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        max_length=1000,
        help_text='Features: "rsi_14" (its latest version) or "rsi_14@1".',
    )
    ttl = TtlField(required=False)


class HistoricalQuerySerializer(serializers.Serializer):
    """Query parameters of every request (format) and of a Parquet request (the options)."""

    format = serializers.ChoiceField(
        choices=OUTPUT_FORMATS,
        required=False,
        help_text="Default: json, or parquet when the Accept header asks for application/vnd.apache.parquet.",
    )
    set = serializers.CharField(required=False, max_length=64, help_text="Parquet requests: a feature set.")
    features = serializers.CharField(
        required=False, max_length=20_000, help_text='Parquet requests: comma-separated, "rsi_14,sma_10@2".'
    )
    ttl = serializers.CharField(
        required=False,
        max_length=20_000,
        help_text='Parquet requests: "5d" for all or "rsi_14@1=2d,sma_10=3d".',
    )
    known_at = serializers.BooleanField(
        required=False, help_text="Parquet requests: add the known_at columns."
    )

    def validate_features(self, value: str) -> list[str]:
        return [f.strip() for f in value.split(",") if f.strip()]

    def validate_ttl(self, value: str):
        try:
            return ttl_from_query(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class HistoricalUploadSerializer(serializers.Serializer):
    """A multipart upload: the Parquet file (the options as query parameters)."""

    file = serializers.FileField(
        help_text="Parquet with columns symbol (string) and ts (timestamp or ISO text)."
    )


def _json_values(col: pd.Series) -> list:
    """JSON-ready values: ISO text for instants, None where missing (JSON has no NaN or infinity)."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return [iso_utc(v) for v in col]
    values = col.to_numpy(dtype=object, copy=True)
    if pd.api.types.is_float_dtype(col):
        values[~np.isfinite(col.to_numpy())] = None
    else:
        values[col.isna().to_numpy()] = None
    return values.tolist()


def historical_document(frame: pd.DataFrame, labels: list[str], ttl: dict[str, pd.Timedelta]) -> dict:
    """The JSON answer: the features, their TTL in seconds, unknown symbols and the rows."""
    columns = list(frame.columns)
    data = [_json_values(frame[c]) for c in columns]
    return {
        "features": labels,
        "ttl_seconds": {label: ttl[label].total_seconds() for label in labels},
        "unknown_symbols": list(frame.attrs.get("unknown_symbols", [])),
        "rows": [dict(zip(columns, values, strict=True)) for values in zip(*data, strict=True)],
    }


class HistoricalDocumentSerializer(serializers.Serializer):
    """Documents the JSON answer (the view builds it with historical_document)."""

    features = serializers.ListField(
        child=serializers.CharField(), help_text="name@version, in column order."
    )
    ttl_seconds = serializers.DictField(child=serializers.FloatField(), help_text="Each feature's TTL.")
    unknown_symbols = serializers.ListField(child=serializers.CharField(), help_text="Answered as NaN rows.")
    rows = serializers.ListField(
        child=serializers.DictField(allow_null=True),
        help_text=f"Per entity row, in the order given: symbol, ts, each feature (null: no value known "
        f'within its TTL) and, with known_at, "name@version{KNOWN_AT_SUFFIX}".',
    )
