"""Snapshot: query-string validation and the JSON document of the latest bar and quote per symbol."""

from __future__ import annotations

import pandas as pd
from rest_framework import serializers

from apps.platform.timestamps import iso_utc

from .bars import SymbolsField


class SnapshotQuerySerializer(serializers.Serializer):
    symbols = SymbolsField()


def snapshot_document(ids: dict[str, int], bars: pd.DataFrame, quotes: pd.DataFrame) -> dict:
    """`bars` / `quotes`: the latest rows per instrument id (selectors.latest); a symbol without any
    has null there."""
    bars = bars.set_index("instrument_id")
    quotes = quotes.set_index("instrument_id")
    body = {sym: {"bar": _bar_doc(bars, pk), "quote": _quote_doc(quotes, pk)} for sym, pk in ids.items()}
    return {"as_of": iso_utc(pd.Timestamp.now(tz="UTC")), "symbols": body}


def _bar_doc(bars: pd.DataFrame, pk: int) -> dict | None:
    if pk not in bars.index:
        return None
    row = bars.loc[pk]
    return {"ts": iso_utc(row["ts"]), "interval": row["interval"], "close": float(row["close"])}


def _quote_doc(quotes: pd.DataFrame, pk: int) -> dict | None:
    if pk not in quotes.index:
        return None
    row = quotes.loc[pk]
    bid, ask = float(row["bid"]), float(row["ask"])
    return {
        "ts": iso_utc(row["ts"]),
        "bid": bid,
        "ask": ask,
        "bid_size": float(row["bid_size"]),
        "ask_size": float(row["ask_size"]),
        "mid": (bid + ask) / 2,
    }
