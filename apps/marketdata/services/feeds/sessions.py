"""Start and stop requests for feeds. The API (and `feed_run --demo`) call these; the feed_run
process does the work. Each function validates what the database alone cannot, and raises
Django's ValidationError with field messages (a 400 through the API)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.platform.timestamps import iso_utc

from ...models import FeedMode, FeedSession, FeedState, interval_seconds
from ...selectors import feeds as selectors

# Live bars are aggregated in memory between closes; longer than a day gains nothing for a demo.
LIVE_INTERVALS = ("1m", "5m", "15m", "30m", "1h", "4h", "1d")
MAX_RATE = 20.0  # ticks per second per symbol
# One feed_run publishes ~4,500 events/s (README "Benchmarks"); keep well inside it, since every tick
# is a quote and, with depth > 0, a level-2 snapshot per symbol.
MAX_EVENTS_PER_SECOND = 2_000
MAX_DEPTH = 20


def _resolve_symbols(symbols: list[str] | None) -> list:
    instruments = selectors.instruments_for_feed(symbols)
    if symbols:
        missing = sorted(set(symbols) - {i.symbol for i in instruments})
        if missing:
            raise ValidationError({"symbols": f"Unknown instrument(s): {', '.join(missing)}."})
    if not instruments:
        raise ValidationError({"symbols": "No instruments to feed: name some, or create active instruments."})
    return instruments


@transaction.atomic
def feed_live_start(
    *,
    symbols: list[str] | None = None,
    rate: float = 1.0,
    interval: str = "1m",
    seed: int | None = None,
    depth: int = 5,
    user=None,
) -> FeedSession:
    """Ask for a live feed of the simulated market over `symbols` (all active instruments when none):
    `rate` ticks per second per symbol, bars of `interval` stored as they close."""
    errors: dict[str, str] = {}
    if interval not in LIVE_INTERVALS:
        errors["interval"] = f"Use one of {', '.join(LIVE_INTERVALS)}."
    if not 0 < rate <= MAX_RATE:
        errors["rate"] = f"Ticks per second per symbol must be > 0 and ≤ {MAX_RATE:g}."
    if not 0 <= depth <= MAX_DEPTH:
        errors["depth"] = f"Order-book levels must be between 0 and {MAX_DEPTH}."
    if errors:
        raise ValidationError(errors)
    instruments = _resolve_symbols(symbols)
    events = rate * len(instruments) * (2 if depth else 1)
    if events > MAX_EVENTS_PER_SECOND:
        raise ValidationError(
            {
                "rate": f"{len(instruments)} symbols at {rate:g}/s is {events:.0f} events/s; "
                f"one feed process publishes at most {MAX_EVENTS_PER_SECOND}/s. Lower the rate or the symbols."
            }
        )
    wanted = {i.symbol for i in instruments}
    # Two live feeds storing the same symbol's bars of one interval would overwrite each other.
    for other in selectors.live_feeds_active(interval=interval).select_for_update():
        clash = wanted & set(other.config.get("symbols", []))
        if clash:
            raise ValidationError(
                {
                    "symbols": f"Live feed #{other.pk} already feeds {', '.join(sorted(clash)[:10])} "
                    f"at {interval}; stop it first."
                }
            )
    config = {
        "symbols": [i.symbol for i in instruments],
        "rate": float(rate),
        "interval": interval,
        "seed": int(seed) if seed is not None else secrets.randbelow(2**31),
        "depth": int(depth),
    }
    return FeedSession.objects.create(mode=FeedMode.LIVE, config=config, created_by=_user(user))


@transaction.atomic
def feed_replay_start(
    *,
    start: dt.datetime,
    end: dt.datetime,
    symbols: list[str] | None = None,
    interval: str = "1d",
    speed: float = 60.0,
    user=None,
) -> FeedSession:
    """Ask for a replay of stored `interval` bars between start and end (inclusive), in time order,
    `speed` times faster than they happened."""
    errors: dict[str, str] = {}
    try:
        interval_seconds(interval)
    except ValueError as exc:
        errors["interval"] = str(exc)
    for name, value in (("start", start), ("end", end)):
        if timezone.is_naive(value):
            errors[name] = "Give a timezone (e.g. 2024-01-02T00:00:00Z)."
    if not errors and start >= end:
        errors["end"] = "Must be after start."
    if not speed > 0:
        errors["speed"] = "Must be greater than 0."
    if errors:
        raise ValidationError(errors)
    instruments = _resolve_symbols(symbols)
    ids = [i.pk for i in instruments]
    if not selectors.bars_in_range(instrument_ids=ids, interval=interval, start=start, end=end).exists():
        raise ValidationError(
            {"start": f"No stored {interval} bars for these symbols between start and end."}
        )
    config = {
        "symbols": [i.symbol for i in instruments],
        "interval": interval,
        "start": iso_utc(start),
        "end": iso_utc(end),
        "speed": float(speed),
    }
    return FeedSession.objects.create(mode=FeedMode.REPLAY, config=config, created_by=_user(user))


@transaction.atomic
def feed_stop(*, feed: FeedSession) -> FeedSession:
    """Stop a feed. A pending one stops at once; a running one becomes `stopping` and its runner
    stops it within a poll (~0.5 s). Stopping an ended feed changes nothing (idempotent)."""
    now = timezone.now()
    FeedSession.objects.filter(pk=feed.pk, state=FeedState.PENDING).update(
        state=FeedState.STOPPED, stopped_at=now
    )
    FeedSession.objects.filter(pk=feed.pk, state=FeedState.RUNNING).update(state=FeedState.STOPPING)
    feed.refresh_from_db()
    return feed


def feed_demo_ensure(*, rate: float = 1.0, interval: str = "1m", seed: int = 42) -> FeedSession | None:
    """The laptop demo's live feed over every active instrument, unless a live feed is already
    active at that interval (so restarting `make up` does not stack feeds). None without instruments."""
    existing = selectors.live_feeds_active(interval=interval).first()
    if existing is not None:
        return existing
    if not selectors.instruments_for_feed(None):
        return None
    return feed_live_start(rate=rate, interval=interval, seed=seed, depth=5)


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None
