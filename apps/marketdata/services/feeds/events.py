"""Bus payloads of the feeds. Topics: market.data.quotes.{symbol}, market.data.level2.{symbol},
market.data.bars.{symbol}; every payload also carries the exact symbol and the feed's id."""

from __future__ import annotations

import datetime as dt
import math
import re

_NOT_IN_SEGMENT = re.compile(r"[.*#\s]+")


def symbol_segment(symbol: str) -> str:
    """A symbol as one topic segment: BRK.B → BRK-B (a dot would split it into two segments and
    `market.data.bars.*` would no longer match it)."""
    return _NOT_IN_SEGMENT.sub("-", symbol) or "-"


def topic(kind: str, symbol: str) -> str:
    return f"market.data.{kind}.{symbol_segment(symbol)}"


def iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _num(v) -> float | None:
    """JSON-safe float: the bus refuses NaN, and a missing value is null."""
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def quote_payload(*, feed_id: int, symbol: str, ts: dt.datetime, bid, ask, bid_size, ask_size) -> dict:
    return {
        "symbol": symbol,
        "ts": iso(ts),
        "bid": _num(bid),
        "ask": _num(ask),
        "bid_size": _num(bid_size),
        "ask_size": _num(ask_size),
        "mid": _num((float(bid) + float(ask)) / 2),
        "feed": feed_id,
    }


def level2_payload(
    *, feed_id: int, symbol: str, ts: dt.datetime, bid_prices, bid_sizes, ask_prices, ask_sizes
) -> dict:
    return {
        "symbol": symbol,
        "ts": iso(ts),
        "bids": [[_num(p), _num(s)] for p, s in zip(bid_prices, bid_sizes, strict=True)],
        "asks": [[_num(p), _num(s)] for p, s in zip(ask_prices, ask_sizes, strict=True)],
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
        "ts": iso(ts),
        "open": _num(o),
        "high": _num(h),
        "low": _num(lo),
        "close": _num(c),
        "adj_close": _num(adj_close),
        "volume": _num(volume),
        "vwap": _num(vwap),
        "trade_count": None if trade_count is None or trade_count != trade_count else int(trade_count),
        "source": source,  # "live" (closed by the simulated feed) or "replay"
        "feed": feed_id,
    }
