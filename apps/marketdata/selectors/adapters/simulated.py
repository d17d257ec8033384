"""The simulated-market source adapter: offline, deterministic data for demos, tests and loads.

    adapter = SimulatedAdapter(seed=42)
    adapter.list_symbols()                                   # ["SIM0001", ..., "SIM0020"]
    adapter.fetch_bars("SIM0003", "1d", start, end)          # frame: ts, open, high, low, close, ...
    adapter.fetch_series("SIM_RATE", start, end)             # frame: date, value

The same adapter (seed and universe) always returns the same numbers for the same request, and a
sub-range of a request returns the same rows as the larger request: daily bars come from one
simulation that starts at EPOCH; intraday bars of a day come from a simulation seeded by (seed,
day) that opens at that day's daily open.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd

from ...kernels.simulation import MarketParams, SimulatedMarket
from ...kernels.simulation.frames import BAR_SECONDS, SIMULATED_INTERVALS, business_days, simulate_bar_frames
from .base import BAR_COLUMNS, SERIES_COLUMNS, AdapterError, utc_bounds

EPOCH = dt.date(2000, 1, 3)
# Daily bars are simulated in blocks of this many days: a block's random draws never depend on how
# many blocks follow, so extending a request to a later year leaves earlier bars unchanged.
BLOCK_DAYS = 256
SERIES = {
    # code: (title, frequency, units)
    "SIM_RATE": ("Simulated policy rate", "m", "percent"),
    "SIM_CPI": ("Simulated consumer price index", "m", "index 2000=100"),
}


def _bounds(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Inclusive UTC bounds; an open start is EPOCH and an open end is now."""
    lo, hi = utc_bounds(start, end)
    return (
        lo if lo is not None else pd.Timestamp(EPOCH, tz="UTC"),
        hi if hi is not None else pd.Timestamp.now(tz="UTC"),
    )


class SimulatedAdapter:
    name = "simulated"

    def __init__(
        self, *, n_instruments: int = 20, n_sectors: int = 4, seed: int = 42, prefix: str = "SIM"
    ) -> None:
        self.seed = seed
        self.prefix = prefix
        self.params = MarketParams.universe(n_instruments, n_sectors=n_sectors, seed=seed)
        width = max(4, len(str(n_instruments)))
        self.symbols = [f"{prefix}{k:0{width}d}" for k in range(1, n_instruments + 1)]
        self._index = {s: i for i, s in enumerate(self.symbols)}

    def list_symbols(self) -> list[str]:
        return list(self.symbols)

    def sector_of(self, symbol: str) -> str:
        return f"Sector {int(self.params.sectors[self._position(symbol)]) + 1:02d}"

    # --- bars -----------------------------------------------------------------------------------

    def fetch_bars(self, symbol: str, interval: str, start, end) -> pd.DataFrame:
        """Bars of one symbol with start ≤ ts ≤ end (UTC), oldest first, columns BAR_COLUMNS."""
        if interval not in SIMULATED_INTERVALS:
            raise AdapterError(
                f"the simulated source has {', '.join(SIMULATED_INTERVALS)} bars, not {interval!r}"
            )
        pos = self._position(symbol)
        lo, hi = _bounds(start, end)
        if hi < lo or hi.date() < EPOCH:
            return pd.DataFrame(columns=BAR_COLUMNS)
        daily = self._daily(hi.date())
        if BAR_SECONDS[interval] is None:
            frame = daily[daily["instrument_id"] == pos]
        else:
            days = business_days(
                max(lo.date(), EPOCH), max(1, len(pd.bdate_range(max(lo.date(), EPOCH), hi.date())))
            )
            frame = pd.concat(
                [self._intraday(day, interval, daily) for day in days if day <= hi], ignore_index=True
            )
            frame = frame[frame["instrument_id"] == pos]
        frame = frame[(frame["ts"] >= lo) & (frame["ts"] <= hi)]
        return frame[BAR_COLUMNS].reset_index(drop=True)

    def _position(self, symbol: str) -> int:
        try:
            return self._index[symbol.strip().upper()]
        except KeyError:
            raise AdapterError(f"the simulated source has no symbol {symbol!r}") from None

    def _daily(self, until: dt.date) -> pd.DataFrame:
        # Whole years at a time, so requests ending in the same year share one cached simulation.
        return _daily_bars(self.seed, self.params.n, self.params.n_sectors, dt.date(until.year, 12, 31))

    def _intraday(self, day: pd.Timestamp, interval: str, daily: pd.DataFrame) -> pd.DataFrame:
        opens = daily[daily["ts"] == day].sort_values("instrument_id")["open"].to_numpy()
        market = SimulatedMarket(self.params, seed=_day_seed(self.seed, day), start_prices=opens)
        ids = np.arange(self.params.n)
        return next(
            simulate_bar_frames(market, instrument_ids=ids, interval=interval, start=day.date(), days=1)
        )

    # --- economic series ------------------------------------------------------------------------

    def list_series(self) -> dict[str, tuple[str, str, str]]:
        return dict(SERIES)

    def fetch_series(self, code: str, start, end) -> pd.DataFrame:
        """Monthly observations (date = month start) with start ≤ date ≤ end: columns date, value."""
        if code not in SERIES:
            raise AdapterError(f"the simulated source has no series {code!r}; it has {', '.join(SERIES)}")
        lo_ts, hi_ts = _bounds(start, end)
        lo, hi = lo_ts.date(), hi_ts.date()
        months = pd.date_range(EPOCH.replace(day=1), hi, freq="MS")
        rng = np.random.default_rng([self.seed, sum(map(ord, code))])
        shocks = rng.standard_normal(len(months))
        if code == "SIM_RATE":
            # AR(1) around 3 %: mean-reverting, floored at zero.
            values = np.empty(len(months))
            level = 3.0
            for i, z in enumerate(shocks):
                level = 3.0 + 0.97 * (level - 3.0) + 0.15 * z
                values[i] = max(level, 0.0)
        else:
            values = 100.0 * np.exp(np.cumsum(0.002 + 0.002 * shocks))
        frame = pd.DataFrame({"date": months.date, "value": np.round(values, 4)}, columns=SERIES_COLUMNS)
        return frame[(frame["date"] >= lo) & (frame["date"] <= hi)].reset_index(drop=True)


def _day_seed(seed: int, day: pd.Timestamp) -> list[int]:
    return [seed, day.date().toordinal()]


@lru_cache(maxsize=8)
def _daily_bars(seed: int, n: int, n_sectors: int, until: dt.date) -> pd.DataFrame:
    params = MarketParams.universe(n, n_sectors=n_sectors, seed=seed)
    market = SimulatedMarket(params, seed=seed)
    days = -(-len(pd.bdate_range(EPOCH, until)) // BLOCK_DAYS) * BLOCK_DAYS
    frames = simulate_bar_frames(
        market, instrument_ids=np.arange(n), interval="1d", start=EPOCH, days=days, chunk_days=BLOCK_DAYS
    )
    return pd.concat(frames, ignore_index=True)
