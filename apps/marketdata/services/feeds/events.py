"""Bus payloads of the feeds. Topics: market.data.quotes.{symbol}, market.data.level2.{symbol},
market.data.bars.{symbol}; every payload also carries the exact symbol and the feed's id."""

from __future__ import annotations

import datetime as dt
import re

from apps.platform.numbers import finite_or_none
from apps.platform.timestamps import iso_utc

_NOT_IN_SEGMENT = re.compile(r"[.*#\s]+")


def symbol_segment(symbol: str) -> str:
    """A symbol as one topic segment: BRK.B → BRK-B (a dot would split it into two segments and
    `market.data.bars.*` would no longer match it)."""
    return _NOT_IN_SEGMENT.sub("-", symbol) or "-"


def topic(kind: str, symbol: str) -> str:
    return f"market.data.{kind}.{symbol_segment(symbol)}"


def quote_payload(*, feed_id: int, symbol: str, ts: dt.datetime, bid, ask, bid_size, ask_size) -> dict:
    return {
        "symbol": symbol,
        "ts": iso_utc(ts),
        "bid": finite_or_none(bid),
        "ask": finite_or_none(ask),
        "bid_size": finite_or_none(bid_size),
        "ask_size": finite_or_none(ask_size),
        "mid": finite_or_none((float(bid) + float(ask)) / 2),
        "feed": feed_id,
    }


def level2_payload(
    *, feed_id: int, symbol: str, ts: dt.datetime, bid_prices, bid_sizes, ask_prices, ask_sizes
) -> dict:
    return {
        "symbol": symbol,
        "ts": iso_utc(ts),
        "bids": [[finite_or_none(p), finite_or_none(s)] for p, s in zip(bid_prices, bid_sizes, strict=True)],
        "asks": [[finite_or_none(p), finite_or_none(s)] for p, s in zip(ask_prices, ask_sizes, strict=True)],
        "feed": feed_id,
    }


def bar_payload(
    *,
    feed_id: int,
    source: str,
    symbol: str,
    interval: str,
    ts: dt.datetime,
    o,
    h,
    lo,
    c,
    volume,
    vwap=None,
    trade_count=None,
    adj_close=None,
) -> dict:
    return {
        "symbol": symbol,
        "interval": interval,
        "ts": iso_utc(ts),
        "open": finite_or_none(o),
        "high": finite_or_none(h),
        "low": finite_or_none(lo),
        "close": finite_or_none(c),
        "adj_close": finite_or_none(adj_close),
        "volume": finite_or_none(volume),
        "vwap": finite_or_none(vwap),
        "trade_count": None if trade_count is None or trade_count != trade_count else int(trade_count),
        "source": source,  # "live" (closed by the simulated feed) or "replay"
        "feed": feed_id,
    }
