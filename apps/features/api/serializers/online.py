"""Serializers of online retrieval (`GET /api/features/online`): the query, the answer's schema and
the answer's JSON, written straight from the arrays.

The answer is a matrix, not a dict per symbol: `values[i][j]` is feature `features[j]` of symbol
`symbols[i]`, `known_at[i][j]` when it became known. For 100 symbols x 50 features that is 5,000
numbers and 5,000 timestamps; labels are written once instead of 5,000 times (a third of the bytes of
`{symbol: {label: value}}` and a third faster to encode), and each distinct timestamp is formatted
once (the features of one interval share their bar). Formatting the numbers was most of the time:
the standard library writes a float64 in ~0.45 us (shortest repr), 2.2 ms for 5,000 on an idle core;
the database writes the same shortest text in its own read (selectors/online.py, +~1 ms server-side
for 5,000) and the matrices are joined from those texts.
"""

from __future__ import annotations

import json

import numpy as np
from django.conf import settings
from rest_framework import serializers

from ...selectors.online import LatestValues


def _names(text: str) -> list[str]:
    return list(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))


class OnlineQuerySerializer(serializers.Serializer):
    set = serializers.CharField(
        required=False, max_length=64, help_text="A feature set: its pinned versions are the features."
    )
    features = serializers.CharField(
        required=False,
        help_text='Comma-separated features, "rsi_14" (its latest version) or "rsi_14@2"; with `set`, '
        "its members follow.",
    )
    symbols = serializers.CharField(
        help_text="Comma-separated symbols (case-insensitive), at most FEATURES_MAX_SYMBOLS (1000)."
    )

    def validate_features(self, value: str) -> list[str]:
        names = _names(value)
        if not names:
            raise serializers.ValidationError("give one or more features, comma-separated")
        return names

    def validate_symbols(self, value: str) -> list[str]:
        symbols = list(dict.fromkeys(s.upper() for s in _names(value)))
        if not symbols:
            raise serializers.ValidationError("give one or more symbols, comma-separated")
        cap = settings.FEATURES_MAX_SYMBOLS
        if len(symbols) > cap:
            raise serializers.ValidationError(f"at most {cap} symbols per request, not {len(symbols)}")
        return symbols

    def validate(self, attrs):
        if not attrs.get("set") and not attrs.get("features"):
            raise serializers.ValidationError({"set": "give a feature set (set=) or features (features=)"})
        return attrs


class OnlineValuesSerializer(serializers.Serializer):
    """The answer's shape (for the schema; online_json writes it)."""

    features = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text='Columns: "name@version".'
    )
    symbols = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Rows, in the order asked."
    )
    values = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        read_only=True,
        help_text="values[i][j]: feature j of symbol i at its newest stored bar; null when nothing is "
        "stored, or the value is not a finite number (warm-up).",
    )
    known_at = serializers.ListField(
        child=serializers.ListField(child=serializers.DateTimeField(allow_null=True)),
        read_only=True,
        help_text="known_at[i][j]: when values[i][j] became known (its bar's close), UTC; null with "
        "no value stored.",
    )


def _numbers(latest: LatestValues) -> np.ndarray:
    """Each value as JSON text, "null" where it is not a finite number (or nothing is stored)."""
    finite = np.isfinite(latest.values)
    if latest.value_text is not None:  # written by the database (selectors/online.py)
        cells = latest.value_text.copy()
    else:
        cells = np.array(list(map(repr, latest.values.ravel().tolist())), dtype=object)
        cells = cells.reshape(latest.values.shape)
    cells[~finite] = "null"
    return cells


def _instants(stamps: np.ndarray) -> np.ndarray:
    """datetime64[us] -> quoted ISO 8601 UTC texts ("null" for NaT), each distinct instant formatted
    once (the features of one interval share their bar)."""
    unique, inverse = np.unique(stamps.ravel().astype(np.int64), return_inverse=True)
    instants = unique.astype("datetime64[us]")
    nat = np.isnat(instants)
    whole = (unique[~nat] % 1_000_000 == 0).all()  # microseconds only when some instant has them
    text = np.datetime_as_string(instants, unit="s" if whole else "us", timezone="UTC").astype(object)
    quoted = np.array([f'"{t}"' for t in text], dtype=object)
    quoted[nat] = "null"
    return quoted[inverse].reshape(stamps.shape)


def online_rows(latest: LatestValues) -> list[tuple[str, str]]:
    """Each symbol's row of the two matrices as JSON text: (values, known_at). The API keeps these
    with the cached rows (selectors/online_cache.py), so an unchanged row is not formatted again."""
    numbers, instants = _numbers(latest).tolist(), _instants(latest.known_at).tolist()
    return [
        ("[" + ",".join(v) + "]", "[" + ",".join(k) + "]") for v, k in zip(numbers, instants, strict=True)
    ]


def online_json(latest: LatestValues) -> bytes:
    """The answer as JSON bytes: the labels and symbols through json, the two matrices joined from
    their rows' texts (`latest.rendered` when the read kept them: see online_rows)."""
    rows = latest.rendered if latest.rendered is not None else online_rows(latest)
    head = json.dumps(
        {"features": list(latest.features), "symbols": list(latest.symbols)}, separators=(",", ":")
    )
    values = ",".join(v for v, _k in rows)
    known = ",".join(k for _v, k in rows)
    return f'{head[:-1]},"values":[{values}],"known_at":[{known}]}}'.encode()
