"""Reading the bus: which streams a pattern needs, merging several streams into one ordered feed,
and the synchronous subscribe() iterator. The async relay for WebSockets reuses the same pieces.

One cursor for all streams: ids come from one sequence (publisher.py), so after an XREAD over
several streams everything up to the *horizon* (the smallest last id among streams that hit the
COUNT limit; else the largest id returned) has been seen in every stream. Events up to the horizon
are delivered in id order and the cursor moves to it; later ones are read again next time.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator

import redis

from . import connection, metrics
from .connection import BusConfig
from .events import Event, decode_entry, id_key
from .topics import FAMILY_PRIORITY, pattern_may_cover, topic_family, topic_matches, validate_pattern

log = logging.getLogger("apps.platform.bus")

_ID = re.compile(r"^\d+(-\d+)?$")
REFRESH_SECONDS = 1.0  # how often a subscriber looks for streams created since it started


def normalize_id(last_id: str) -> str | None:
    """ "$" → None (resolve to "now"); "0" → "0-0"; "<ms>[-<seq>]" → "<ms>-<seq>". ValueError otherwise."""
    if last_id == "$":
        return None
    if not isinstance(last_id, str) or not _ID.match(last_id):
        raise ValueError(f"last_id must be '$', '0' or a stream id like '1700000000000-0'; got {last_id!r}")
    return last_id if "-" in last_id else f"{last_id}-0"


def _s(v: str | bytes | None) -> str | None:
    return v.decode() if isinstance(v, bytes) else v


def _literal_family(pattern: str) -> str | None:
    """The stream a pattern's literal head must live in, or None if its head has a wildcard."""
    segs = pattern.split(".")
    if any(s in ("*", "#") for s in segs[:2]):
        return None
    if "*" in segs or "#" in segs:
        return ".".join(segs[:2])
    return topic_family(pattern)


class StreamPlan:
    """The set of family streams a group of patterns must read, kept current as streams appear."""

    def __init__(self, cfg: BusConfig, patterns: Iterable[str] = ()) -> None:
        self.cfg = cfg
        # Streams that may not exist yet are still read (XREAD BLOCK wakes when they appear), so the
        # known families and the patterns' literal prefixes never need discovery.
        self.known: set[str] = set(FAMILY_PRIORITY)
        self.patterns: frozenset[str] = frozenset()
        self.snap_seq: str | None = None
        self.refreshed_at = 0.0
        self.set_patterns(patterns)

    def set_patterns(self, patterns: Iterable[str]) -> bool:
        """Returns whether the stream set changed."""
        before = self.keys()
        self.patterns = frozenset(validate_pattern(p) for p in patterns)
        for p in self.patterns:
            fam = _literal_family(p)
            if fam:
                self.known.add(fam)
        return self.keys() != before

    def covers(self, family: str) -> bool:
        return any(pattern_may_cover(p, family) for p in self.patterns)

    def keys(self) -> frozenset[str]:
        return frozenset(self.cfg.stream_key(f) for f in self.known if self.covers(f))

    def matches(self, topic: str) -> bool:
        return any(topic_matches(p, topic) for p in self.patterns)

    def due(self) -> bool:
        return time.monotonic() - self.refreshed_at >= REFRESH_SECONDS

    def apply_refresh(self, members: Iterable, seq) -> list[tuple[str, str]]:
        """Take a (SMEMBERS streams, GET seq) snapshot; return (key, after_id) catch-up reads for
        covered streams that appeared since the previous snapshot: they hold only ids above it."""
        fams = {self.cfg.family_of_key(_s(m)) for m in members}
        new = fams - self.known
        prev = self.snap_seq
        self.known |= fams
        self.snap_seq = _s(seq) or "0-0"
        self.refreshed_at = time.monotonic()
        if prev is None:
            return []
        return [(self.cfg.stream_key(f), prev) for f in sorted(new) if self.covers(f)]


def merge(resp, cursor: str, count: int) -> tuple[list[Event], str, bool]:
    """XREAD reply → (events in id order up to the horizon, new cursor, whether a stream was capped)."""
    entries: list[tuple[tuple[int, int], str, dict]] = []
    horizon: tuple[int, int] | None = None
    for _key, items in resp or []:
        if not items:
            continue
        if len(items) >= count:
            last = id_key(_s(items[-1][0]))
            horizon = last if horizon is None else min(horizon, last)
        for entry_id, fields in items:
            eid = _s(entry_id)
            entries.append((id_key(eid), eid, fields))
    if not entries:
        return [], cursor, False
    entries.sort(key=lambda e: e[0])
    if horizon is not None:
        entries = [e for e in entries if e[0] <= horizon]
        new_cursor = f"{horizon[0]}-{horizon[1]}"
    else:
        new_cursor = entries[-1][1]
    return [decode_entry(eid, fields) for _, eid, fields in entries], new_cursor, horizon is not None


def _catch_up(r: redis.Redis, key: str, after: str, upto: str, count: int) -> list[Event]:
    out: list[Event] = []
    lo = f"({after}"
    while id_key(after) < id_key(upto):
        items = r.xrange(key, min=lo, max=upto, count=count)
        out += [decode_entry(i, f) for i, f in items]
        if len(items) < count:
            break
        lo = f"({_s(items[-1][0])}"
    return out


def _snapshot(r: redis.Redis, cfg: BusConfig):
    pipe = r.pipeline(transaction=True)
    pipe.smembers(cfg.streams_key)
    pipe.get(cfg.seq_key)
    return pipe.execute()


def subscribe(
    pattern: str | Iterable[str],
    *,
    last_id: str = "$",
    block_ms: int = 1000,
    count: int = 500,
    follow: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[Event]:
    """Events whose topic matches `pattern` (or any of several), oldest first after `last_id`.

    last_id: "$" (only new events), "0" (everything still in the streams) or an Event.id to resume
    after. follow=False stops once caught up (replay); follow=True waits for more, checking
    should_stop() every block_ms, and rides out Redis outages (it retries from its cursor).
    """
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    cfg = connection.config()
    plan = StreamPlan(cfg, patterns)
    cursor = normalize_id(last_id)
    r = connection.make_client(cfg.url, socket_timeout=(block_ms / 1000 + 5) if follow else 5)
    if cursor is None:
        # "$" means "from now", i.e. the call, not the first next() of a lazy generator.
        try:
            cursor = _s(r.get(cfg.seq_key)) or "0-0"
        except redis.ConnectionError:
            if not follow:
                r.close()
                raise
    return _iterate(
        r, cfg, plan, cursor, block_ms=block_ms, count=count, follow=follow, should_stop=should_stop
    )


def _iterate(r, cfg, plan, cursor, *, block_ms, count, follow, should_stop) -> Iterator[Event]:
    patterns = sorted(plan.patterns)
    delay = 0.2
    try:
        while True:
            try:
                if cursor is None:
                    cursor = _s(r.get(cfg.seq_key)) or "0-0"
                pending: list[Event] = []
                if plan.due():
                    for key, after in plan.apply_refresh(*_snapshot(r, cfg)):
                        pending += _catch_up(r, key, after, cursor, count)
                keys = plan.keys()
                resp = r.xread({k: cursor for k in keys}, count=count, block=block_ms if follow else None)
                events, cursor, capped = merge(resp, cursor, count)
                delay = 0.2
            except (redis.ConnectionError, redis.TimeoutError):
                if not follow:
                    raise
                log.warning("bus subscriber for %s lost Redis; retrying in %.1fs", patterns, delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            for ev in sorted(pending, key=lambda e: id_key(e.id)) + events:
                if plan.matches(ev.topic):
                    metrics.CONSUMED.labels(family=topic_family(ev.topic)).inc()
                    yield ev
            if not follow and not capped:
                return
            if should_stop is not None and should_stop():
                return
    finally:
        r.close()
