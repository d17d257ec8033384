"""ReplayFeed: stored bars played back as bar events in time order, `speed` times faster than they
happened. The replay clock starts at the first stored bar in the range; a bar is published once
the clock reaches its timestamp. Reads go page by page with a (ts, instrument) keyset cursor, so
a ten-year replay never holds more than a page in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from apps.platform import bus

from ...models import FeedSession
from ...selectors import feeds as selectors
from . import events
from .control import Counters

PAGE = 2_000
# Bars published per advance() at most: the runner gets back to its control poll (stop requests)
# and to the other feeds between pages even when a fast replay has a large backlog.
MAX_PER_ADVANCE = 4_000
POLL_SECONDS = 0.1  # how often a replay looks for bars the clock has reached
_FAR = 2**62  # instrument id above any real one: "after every bar at this ts"


class ReplayFeed:
    mode = "replay"

    def __init__(
        self,
        *,
        session_id: int,
        symbols_by_id: dict[int, str],
        interval: str,
        start: dt.datetime,
        end: dt.datetime,
        speed: float,
        started: float,
        resume_after: dt.datetime | None = None,
        counters: Counters | None = None,
        publish: Callable = bus.publish,
    ) -> None:
        self.session_id = session_id
        self.symbols_by_id = symbols_by_id
        self.ids = sorted(symbols_by_id)
        self.interval = interval
        self.start, self.end = start, end
        self.speed = speed
        self.t0 = started
        self.publish = publish
        self.counters = counters or Counters()
        self.finished = False
        self.cursor: tuple[dt.datetime, int] | None = (resume_after, _FAR) if resume_after else None
        first = self._page(upto=end, limit=1)
        # The replay clock: data time = data_t0 + (wall time - t0) × speed.
        self.data_t0 = first[0][1] if first else end
        self.finished = not first
        self._behind = False

    @classmethod
    def from_session(cls, session: FeedSession, *, now: float, **kw) -> ReplayFeed:
        cfg = session.config
        instruments = selectors.instruments_for_feed(cfg["symbols"])
        if not instruments:
            raise ValueError("none of the feed's instruments exist any more")
        return cls(
            session_id=session.pk,
            symbols_by_id={i.pk: i.symbol for i in instruments},
            interval=cfg["interval"],
            start=dt.datetime.fromisoformat(cfg["start"]),
            end=dt.datetime.fromisoformat(cfg["end"]),
            speed=cfg["speed"],
            started=now,
            # A resumed replay carries on after the last bar it published.
            resume_after=session.last_tick_at,
            counters=Counters.of(session),
            **kw,
        )

    def _page(self, *, upto: dt.datetime, limit: int) -> list[tuple]:
        return selectors.bars_page(
            instrument_ids=self.ids,
            interval=self.interval,
            after=self.cursor,
            start=self.start,
            upto=upto,
            end=self.end,
            limit=limit,
        )

    def clock(self, now: float) -> dt.datetime:
        """Data time reached at wall time `now` (never past the end)."""
        elapsed = max(0.0, (now - self.t0) * self.speed)
        span = (self.end - self.data_t0).total_seconds()
        return self.end if elapsed >= span else self.data_t0 + dt.timedelta(seconds=elapsed)

    def next_due(self, now: float) -> float:
        """A replay has no fixed tick: look again shortly, or at once while it has a backlog."""
        return now if self._behind else now + POLL_SECONDS

    def advance(self, now: float) -> None:
        if self.finished:
            return
        horizon = self.clock(now)
        sent = 0
        self._behind = False
        while sent < MAX_PER_ADVANCE:
            rows = self._page(upto=horizon, limit=min(PAGE, MAX_PER_ADVANCE - sent))
            for iid, ts, o, h, lo, c, adj, vol, vwap, count in rows:
                sym = self.symbols_by_id[iid]
                self.publish(
                    events.topic("bars", sym),
                    events.bar_payload(
                        feed_id=self.session_id,
                        source="replay",
                        symbol=sym,
                        interval=self.interval,
                        ts=ts,
                        o=o,
                        h=h,
                        lo=lo,
                        c=c,
                        volume=vol,
                        vwap=vwap,
                        trade_count=count,
                        adj_close=adj,
                    ),
                )
                self.cursor = (ts, iid)
            sent += len(rows)
            self.counters.bars_published += len(rows)
            if rows:
                self.counters.last_tick_at = self.cursor[0]
            if len(rows) < PAGE and sent < MAX_PER_ADVANCE:
                break
        else:
            self._behind = True
        if not self._behind and horizon >= self.end:
            self.finished = True

    def stop(self, now: float) -> None:
        """Nothing buffered: every bar published is already on the bus."""
