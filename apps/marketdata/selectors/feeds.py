"""Reads for the feeds: sessions, the instruments a feed covers, and stored bars."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import OuterRef, QuerySet, Subquery

from ..models import Bar, FeedMode, FeedSession, FeedState, Instrument
from ..models.feeds import ACTIVE_STATES


def feed_list(*, state: str | None = None, mode: str | None = None) -> QuerySet[FeedSession]:
    """Feed sessions with their creator; `state` / `mode` filter when they name a known value (an
    unknown value is ignored, as the list endpoint always did)."""
    qs = FeedSession.objects.select_related("created_by")
    if state in FeedState.values:
        qs = qs.filter(state=state)
    if mode in FeedMode.values:
        qs = qs.filter(mode=mode)
    return qs


def feed_get(feed_id: int) -> FeedSession | None:
    return FeedSession.objects.filter(pk=feed_id).first()


def live_feeds_active(*, interval: str | None = None) -> QuerySet[FeedSession]:
    qs = FeedSession.objects.filter(mode=FeedMode.LIVE, state__in=ACTIVE_STATES)
    return qs.filter(config__interval=interval) if interval else qs


def instruments_for_feed(symbols: Iterable[str] | None) -> list[Instrument]:
    """The named instruments in the given order, or every active one by symbol when none are named."""
    if not symbols:
        return list(Instrument.objects.filter(is_active=True).order_by("symbol"))
    wanted = list(symbols)
    found = {i.symbol: i for i in Instrument.objects.filter(symbol__in=wanted)}
    return [found[s] for s in wanted if s in found]


def last_closes(instrument_ids: list[int]) -> dict[int, float]:
    """The close of each instrument's latest stored bar (any interval); absent when it has none."""
    latest = Bar.objects.filter(instrument_id=OuterRef("pk")).order_by("-ts").values("close")[:1]
    rows = (
        Instrument.objects.filter(pk__in=instrument_ids)
        .annotate(last=Subquery(latest))
        .values_list("pk", "last")
    )
    return {pk: last for pk, last in rows if last is not None}


def bars_in_range(
    *, instrument_ids: list[int], interval: str, start: dt.datetime, end: dt.datetime
) -> QuerySet:
    return Bar.objects.filter(instrument_id__in=instrument_ids, interval=interval, ts__gte=start, ts__lte=end)


def bars_page(
    *,
    instrument_ids: list[int],
    interval: str,
    after: tuple[dt.datetime, int] | None,
    start: dt.datetime,
    upto: dt.datetime,
    end: dt.datetime,
    limit: int,
) -> list[tuple]:
    """Up to `limit` bars in (ts, instrument) order after the keyset cursor `after`, with start ≤ ts ≤
    min(upto, end): (instrument_id, ts, open, high, low, close, adj_close, volume, vwap, trade_count)."""
    qs = Bar.objects.filter(
        instrument_id__in=instrument_ids, interval=interval, ts__gte=start, ts__lte=min(upto, end)
    )
    if after is not None:
        ts, iid = after
        qs = qs.filter(ts__gte=ts).exclude(ts=ts, instrument_id__lte=iid)
    return list(
        qs.order_by("ts", "instrument_id").values_list(
            "instrument_id",
            "ts",
            "open",
            "high",
            "low",
            "close",
            "adj_close",
            "volume",
            "vwap",
            "trade_count",
        )[:limit]
    )
