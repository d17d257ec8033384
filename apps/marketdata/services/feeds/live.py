"""LiveFeed: the simulated market driven by a clock. Each tick (rate per second per symbol) draws
one step for every symbol at once, publishes a quote (and a level-2 book) per symbol, and adds the
mid to the bar being built; when the clock crosses a bar boundary the bars are stored through
`storage.bars_upsert` and published.

Ticks are scheduled at started + k / rate, whatever the real time of the call, so a run is the
same for a fake clock in a test and for the wall clock (same seed and start prices → same prices).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from apps.platform import bus

from ...kernels.simulation import MarketParams, SimulatedMarket, seconds_to_years
from ...kernels.simulation.market import default_start_prices
from ...models import FeedSession, interval_seconds
from ...selectors import feeds as selectors
from ...selectors.ingest.bars import bars_out_of_range
from .. import storage
from . import events
from .control import Counters

log = logging.getLogger("apps.marketdata.feeds")

# After a stall (GC pause, database outage) at most this many seconds of ticks are caught up;
# older ones are skipped rather than sent as a burst of stale quotes.
MAX_CATCH_UP_SECONDS = 5.0


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


class LiveFeed:
    mode = "live"

    def __init__(
        self,
        *,
        session_id: int,
        instrument_ids: list[int],
        symbols: list[str],
        sectors: list[str],
        rate: float,
        interval: str,
        seed: int,
        depth: int,
        started: float,
        start_prices: np.ndarray | None = None,
        counters: Counters | None = None,
        publish: Callable = bus.publish,
        store: Callable = storage.bars_upsert,
    ) -> None:
        self.session_id = session_id
        self.ids = np.asarray(instrument_ids, dtype=np.int64)
        self.symbols = symbols
        self.rate = rate
        self.interval = interval
        self.bar_seconds = interval_seconds(interval)
        self.depth = depth
        self.t0 = started
        self.dt = seconds_to_years(1.0 / rate)
        self.publish = publish
        self.store = store
        self.counters = counters or Counters()
        self.finished = False
        self.n_ticks = 0
        self.skipped_ticks = 0
        names = sorted(set(sectors))
        params = MarketParams.universe(
            len(symbols), n_sectors=len(names), sectors=np.array([names.index(s) for s in sectors]), seed=seed
        )
        self.market = SimulatedMarket(params, seed=seed, start_prices=start_prices)
        self._bar_start: float | None = None

    @classmethod
    def from_session(cls, session: FeedSession, *, now: float, **kw) -> LiveFeed:
        cfg = session.config
        instruments = selectors.instruments_for_feed(cfg["symbols"])
        if not instruments:
            raise ValueError("none of the feed's instruments exist any more")
        ids = [i.pk for i in instruments]
        # Continue from the last stored prices, so a restarted feed does not jump.
        prices = default_start_prices(len(ids), cfg["seed"])
        last = selectors.last_closes(ids)
        prices = np.array([last.get(pk, p) for pk, p in zip(ids, prices, strict=True)])
        return cls(
            session_id=session.pk,
            instrument_ids=ids,
            symbols=[i.symbol for i in instruments],
            sectors=[i.sector for i in instruments],
            rate=cfg["rate"],
            interval=cfg["interval"],
            seed=cfg["seed"],
            depth=cfg.get("depth", 0),
            started=now,
            start_prices=prices,
            counters=Counters.of(session),
            **kw,
        )

    # --- the clock ----------------------------------------------------------------------------

    def next_due(self, now: float) -> float:
        """When the next tick is scheduled (epoch seconds)."""
        return self.t0 + (self.n_ticks + 1) / self.rate

    def advance(self, now: float) -> None:
        """Run every tick scheduled up to `now`, closing bars whose end has passed."""
        due = math.floor((now - self.t0) * self.rate + 1e-9)
        backlog = due - self.n_ticks
        limit = max(1, int(MAX_CATCH_UP_SECONDS * self.rate))
        if backlog > limit:
            self.skipped_ticks += backlog - limit
            log.warning(
                "live feed #%s fell %d ticks behind; skipping %d", self.session_id, backlog, backlog - limit
            )
            self.n_ticks = due - limit
        while self.n_ticks < due:
            self.n_ticks += 1
            ts = self.t0 + self.n_ticks / self.rate
            self._close_bar_if_due(ts)
            self._tick(ts)
        self._close_bar_if_due(now)

    def stop(self, now: float) -> None:
        """Nothing to flush: the open bar has not closed, so it is neither stored nor published."""

    # --- ticks and bars -----------------------------------------------------------------------

    def _tick(self, ts: float) -> None:
        tick = self.market.tick(dt=self.dt, levels=self.depth)
        when = _utc(ts)
        q, book = tick.quotes, tick.book
        for i, sym in enumerate(self.symbols):
            self.publish(
                events.topic("quotes", sym),
                events.quote_payload(
                    feed_id=self.session_id,
                    symbol=sym,
                    ts=when,
                    bid=q.bid[i],
                    ask=q.ask[i],
                    bid_size=q.bid_size[i],
                    ask_size=q.ask_size[i],
                ),
            )
            if book is not None:
                self.publish(
                    events.topic("level2", sym),
                    events.level2_payload(
                        feed_id=self.session_id,
                        symbol=sym,
                        ts=when,
                        bid_prices=book.bid_prices[i],
                        bid_sizes=book.bid_sizes[i],
                        ask_prices=book.ask_prices[i],
                        ask_sizes=book.ask_sizes[i],
                    ),
                )
        self.counters.ticks_published += len(self.symbols)
        self.counters.last_tick_at = when
        self._aggregate(ts, tick.mid, tick.volume)

    def _aggregate(self, ts: float, mid: np.ndarray, volume: np.ndarray) -> None:
        if self._bar_start is None:
            # Bars align to the interval (a 1m bar starts on the minute); the first one of a
            # feed covers only the part of its interval after the feed started.
            self._bar_start = math.floor(ts / self.bar_seconds) * self.bar_seconds
            self._open, self._high, self._low = mid.copy(), mid.copy(), mid.copy()
            self._volume = np.zeros_like(mid)
            self._pv = np.zeros_like(mid)
        self._high = np.maximum(self._high, mid)
        self._low = np.minimum(self._low, mid)
        self._close = mid.copy()
        self._volume += volume
        self._pv += mid * volume

    def _close_bar_if_due(self, t: float) -> None:
        if self._bar_start is None or t < self._bar_start + self.bar_seconds:
            return
        start = _utc(self._bar_start)
        with np.errstate(invalid="ignore", divide="ignore"):
            vwap = np.clip(
                np.where(self._volume > 0, self._pv / self._volume, self._close), self._low, self._high
            )
        trades = np.maximum(np.rint(self._volume / self.market.params.avg_trade_size), 1).astype(np.int64)
        frame = pd.DataFrame(
            {
                "instrument_id": self.ids,
                "ts": pd.Series([start] * len(self.ids), dtype="datetime64[ns, UTC]"),
                "open": self._open,
                "high": self._high,
                "low": self._low,
                "close": self._close,
                "adj_close": self._close,
                "volume": self._volume,
                "vwap": vwap,
                "trade_count": trades,
            }
        )
        self._bar_start = None
        # Ingest's range rule: a bar that breaks it is neither stored nor published, only counted.
        bad = bars_out_of_range(frame)
        if bad.any():
            skipped = [self.symbols[i] for i in np.flatnonzero(bad)]
            self.counters.error_count += 1
            self.counters.last_error = (
                f"skipped {len(skipped)} {self.interval} bar(s) at {start:%Y-%m-%d %H:%M} out of range "
                f"(high/low outside open and close, negative volume or a non-finite price): {', '.join(skipped)}"
            )
            log.warning("live feed #%s: %s", self.session_id, self.counters.last_error)
            frame = frame[~bad]
        try:
            if len(frame):
                self.store(frame, interval=self.interval)
            self.counters.bars_stored += len(frame)
        except Exception as exc:  # the bars still go out on the bus; the loss is counted and logged
            self.counters.error_count += 1
            self.counters.last_error = f"storing {self.interval} bars at {start:%Y-%m-%d %H:%M}: {exc}"
            log.exception("live feed #%s could not store its bars", self.session_id)
        for i, sym in enumerate(self.symbols):
            if bad[i]:
                continue
            self.publish(
                events.topic("bars", sym),
                events.bar_payload(
                    feed_id=self.session_id,
                    source="live",
                    symbol=sym,
                    interval=self.interval,
                    ts=start,
                    o=self._open[i],
                    h=self._high[i],
                    lo=self._low[i],
                    c=self._close[i],
                    volume=self._volume[i],
                    vwap=vwap[i],
                    trade_count=trades[i],
                    adj_close=self._close[i],
                ),
            )
        self.counters.bars_published += int((~bad).sum())
