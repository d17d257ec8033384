"""Return predictions of a price model (`POST /api/ml/predict/price`): the request in its two forms,
and the answer, written from the selector's arrays as plain JSON (a batch of 10,000 rows through
DRF's field-by-field serializers would cost more than the prediction).

One row: `{"symbol": "AAPL", "current_price": 150.0, "features": {"rsi_14": 61.2}}` (`features` and
`current_price` optional) answers one flat object. A batch: `{"symbols": ["AAPL", "MSFT"]}` (every
feature from the store) or `{"rows": [{"symbol": "AAPL", "features": {...}, "current_price": 150.0},
...]}` answers `{..., "predictions": [one object per row, in order]}`, each row as the one-row answer
gives it. At most ML_PREDICT_API_MAX_ROWS rows (400 on `symbols` / `rows` beyond); rows are checked
column by column, never one DRF serializer per row.
"""

from __future__ import annotations

import numbers

import numpy as np
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.platform.fields import (
    NUMBER_MAX,
    SYMBOL_MAX_LENGTH,
    BoundedFloatField,
    SymbolField,
    printable_problem,
    printable_validator,
)
from apps.platform.timestamps import iso_utc

from ...selectors.predictions import FILL, SOURCES, ReturnPredictions
from .serving import ServedSerializer, ServingSerializer, api_max_rows

MAX_FEATURES_PER_ROW = 1000
_SHOWN_ROWS = 20
_ROW_KEYS = ("symbol", "features", "current_price")
_FEATURES_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "number", "nullable": True},
    "description": 'Feature values by name ("rsi_14@1", or "rsi_14" where the model reads one version); '
    "a feature left out (or null) is read from the online store, else filled with the training median.",
}


def _symbol_problem(value) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "A symbol is a non-empty string."
    if len(value) > SYMBOL_MAX_LENGTH:
        return f"At most {SYMBOL_MAX_LENGTH} characters."
    return printable_problem(value)


def _features_problem(value) -> str | None:
    if not isinstance(value, dict):
        return "Give an object of feature values by name."
    if len(value) > MAX_FEATURES_PER_ROW:
        return f"At most {MAX_FEATURES_PER_ROW} features."
    return None


def _price_problem(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return "A valid number is required."
    if not (np.isfinite(value) and 0 < value <= NUMBER_MAX):
        return f"Must be a positive number up to {NUMBER_MAX:g}."
    return None


def _too_many(n: int) -> str:
    return f"At most {api_max_rows()} rows per request, not {n}; the batch facade takes more."


@extend_schema_field(_FEATURES_SCHEMA)
class FeatureValuesField(serializers.Field):
    def to_internal_value(self, data):
        if problem := _features_problem(data):
            raise serializers.ValidationError(problem)
        return data


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "maxLength": SYMBOL_MAX_LENGTH},
        "minItems": 1,
        "description": "Symbols, one row each, every feature from the online store.",
    }
)
class SymbolsField(serializers.Field):
    def to_internal_value(self, data):
        if not isinstance(data, list) or not data:
            raise serializers.ValidationError("Give a non-empty list of symbols.")
        if len(data) > api_max_rows():
            raise serializers.ValidationError(_too_many(len(data)))
        problems = {i: [p] for i, s in enumerate(data) if (p := _symbol_problem(s))}
        if problems:
            raise serializers.ValidationError({str(i): problems[i] for i in sorted(problems)[:_SHOWN_ROWS]})
        return list(data)


@extend_schema_field(
    {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": {
                "symbol": {"type": "string", "maxLength": SYMBOL_MAX_LENGTH, "nullable": True},
                "features": _FEATURES_SCHEMA,
                "current_price": {"type": "number", "nullable": True, "minimum": 0, "exclusiveMinimum": True},
            },
            "additionalProperties": False,
        },
        "description": "Rows, each with its symbol (optional: without one, missing features are filled), "
        "feature values and current price (both optional).",
    }
)
class RowsField(serializers.Field):
    """[{"symbol", "features", "current_price"}, ...] -> (symbols, features, prices)."""

    def to_internal_value(self, data):
        if not isinstance(data, list) or not data:
            raise serializers.ValidationError("Give a non-empty list of row objects.")
        if len(data) > api_max_rows():
            raise serializers.ValidationError(_too_many(len(data)))
        problems: dict[int, dict[str, list[str]]] = {}
        symbols, features, prices = [None] * len(data), [None] * len(data), np.full(len(data), np.nan)
        for i, row in enumerate(data):
            if not isinstance(row, dict):
                problems[i] = {"non_field_errors": ["Expected an object {symbol, features, current_price}."]}
                continue
            found = {}
            for key in row:
                if key not in _ROW_KEYS:
                    found[key] = [f"Unknown field; a row has {', '.join(_ROW_KEYS)}."]
            checks = (
                ("symbol", row.get("symbol"), None if row.get("symbol") is None else _symbol_problem),
                ("features", row.get("features"), None if row.get("features") is None else _features_problem),
                ("current_price", row.get("current_price"), _price_problem),
            )
            for key, value, check in checks:
                if check is not None and (p := check(value)):
                    found[key] = [p]
            if found:
                problems[i] = found
                if len(problems) >= _SHOWN_ROWS:
                    break
                continue
            symbols[i], features[i] = row.get("symbol"), row.get("features")
            if row.get("current_price") is not None:
                prices[i] = float(row["current_price"])
        if problems:
            raise serializers.ValidationError({str(i): problems[i] for i in sorted(problems)})
        return symbols, features, prices


class PricePredictRequestSerializer(ServingSerializer):
    """One row (`symbol`, `current_price`, `features`) or a batch (`symbols` or `rows`), and the model
    version to predict with."""

    symbol = SymbolField(required=False, help_text="One row: the symbol (its missing features are read).")
    current_price = BoundedFloatField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="One row: the price now; the answer then gives the predicted price p (1 + r).",
    )
    features = FeatureValuesField(required=False)
    symbols = SymbolsField(required=False)
    request_key = serializers.CharField(
        required=False,
        max_length=200,
        validators=[printable_validator],
        help_text="The key an A/B test assigns its arm by (default: the symbol(s) and their latest bar).",
    )
    rows = RowsField(required=False)

    def validate_current_price(self, value):
        if value is not None and value <= 0:
            raise serializers.ValidationError("Must be a positive number.")
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        batch = [k for k in ("symbols", "rows") if k in attrs]
        if len(batch) > 1:
            raise serializers.ValidationError({"rows": ["Give symbols or rows, not both."]})
        if batch:
            single = [k for k in ("symbol", "features", "current_price") if k in attrs]
            if single:
                raise serializers.ValidationError(
                    {k: ["Belongs to one row; in a batch give it inside `rows`."] for k in single}
                )
        elif "symbol" not in attrs and "features" not in attrs:
            raise serializers.ValidationError(
                {"symbol": ["Give a symbol (or every feature), symbols or rows."]}
            )
        return attrs

    def rows_asked(self) -> tuple[list, list, np.ndarray, bool, str]:
        """(symbols, features per row, current prices (NaN: none), batch?, the field unknown symbols
        are reported on)."""
        data = self.validated_data
        if "symbols" in data:
            n = len(data["symbols"])
            return data["symbols"], [None] * n, np.full(n, np.nan), True, "symbols"
        if "rows" in data:
            symbols, features, prices = data["rows"]
            return symbols, features, prices, True, "rows"
        price = data.get("current_price")
        prices = np.array([np.nan if price is None else float(price)])
        return [data.get("symbol")], [data.get("features")], prices, False, "symbol"


# --- the answer -----------------------------------------------------------------------------------


def _number(x: float) -> float | None:
    return x if np.isfinite(x) else None


def _rows(result: ReturnPredictions) -> list[dict]:
    labels = result.features
    values, sources = result.values.tolist(), result.sources.tolist()
    known_text: dict = {}
    known_rows, known_cols = np.nonzero(~np.isnat(result.known_at))
    known: dict[int, dict[str, str]] = {}
    for i, j in zip(known_rows.tolist(), known_cols.tolist(), strict=True):
        stamp = result.known_at[i, j]
        if stamp not in known_text:
            known_text[stamp] = iso_utc(stamp)
        known.setdefault(i, {})[labels[j]] = known_text[stamp]
    columns = [
        result.predicted_return.tolist(),
        result.lower_return.tolist(),
        result.upper_return.tolist(),
        result.current_price.tolist(),
        result.predicted_price.tolist(),
        result.lower_price.tolist(),
        result.upper_price.tolist(),
    ]
    out = []
    for i, symbol in enumerate(result.symbols):
        r, lo, hi, p, pp, plo, phi = (c[i] for c in columns)
        out.append(
            {
                "symbol": symbol,
                "predicted_return": r,
                "lower_return": _number(lo),
                "upper_return": _number(hi),
                "current_price": _number(p),
                "predicted_price": _number(pp),
                "lower_price": _number(plo),
                "upper_price": _number(phi),
                "features": dict(zip(labels, values[i], strict=True)),
                "sources": {f: SOURCES[s] for f, s in zip(labels, sources[i], strict=True)},
                "filled": [f for f, s in zip(labels, sources[i], strict=True) if s == FILL],
                "known_at": known.get(i, {}),
            }
        )
    return out


def price_answer(result: ReturnPredictions, *, batch: bool, timings: dict[str, float]) -> dict:
    """The JSON answer: one flat object for one row, or the shared part and `predictions`."""
    head = {
        **result.served.describe(),
        "coverage": result.coverage,
        "horizon": result.horizon,
        "interval": result.interval,
        "notes": list(result.notes),
    }
    rows = _rows(result)
    body = {**head, "predictions": rows} if batch else {**head, **rows[0]}
    body["timings"] = {k: round(v, 3) for k, v in timings.items()}
    return body


class PriceRowSerializer(serializers.Serializer):
    """One row's prediction (for the schema; price_answer writes it)."""

    symbol = serializers.CharField(read_only=True, allow_null=True, help_text="Upper case; null: none given.")
    predicted_return = serializers.FloatField(read_only=True, help_text="Simple return over `horizon` bars.")
    lower_return = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Interval's lower end (null: unbounded)."
    )
    upper_return = serializers.FloatField(read_only=True, allow_null=True)
    current_price = serializers.FloatField(read_only=True, allow_null=True)
    predicted_price = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="current_price x (1 + predicted_return); null without a price.",
    )
    lower_price = serializers.FloatField(read_only=True, allow_null=True)
    upper_price = serializers.FloatField(read_only=True, allow_null=True)
    features = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text="The value of every feature predicted from."
    )
    sources = serializers.DictField(
        child=serializers.ChoiceField(choices=SOURCES),
        read_only=True,
        help_text="Where each value came from: body, store (online store) or fill (training median).",
    )
    filled = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The features filled with the median."
    )
    known_at = serializers.DictField(
        child=serializers.DateTimeField(), read_only=True, help_text="When each stored value became known."
    )


class _PriceHeadSerializer(ServedSerializer):
    coverage = serializers.FloatField(read_only=True, help_text="The interval's coverage level, 1 - alpha.")
    horizon = serializers.IntegerField(read_only=True, help_text="Bars ahead the return is predicted over.")
    interval = serializers.CharField(read_only=True, help_text="The bar interval (1d, ...).")
    notes = serializers.ListField(child=serializers.CharField(), read_only=True)


class PricePredictionSerializer(_PriceHeadSerializer, PriceRowSerializer):
    """The one-row answer."""


class PriceBatchPredictionSerializer(_PriceHeadSerializer):
    """The batch answer."""

    predictions = PriceRowSerializer(many=True, read_only=True, help_text="One per row, in order.")
