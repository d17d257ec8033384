"""`python manage.py simulate_market`: simulated bars for N instruments × D days into the database.

    python manage.py simulate_market --instruments 500 --days 2520            # SIM0001..SIM0500, daily
    python manage.py simulate_market --symbols AAPL MSFT --days 20 --interval 5m
    python manage.py simulate_market --instruments 50 --days 252 --seed 7 --sectors 5

Instruments named by --prefix are created when missing (sector "Sector NN"). Bars are generated a
chunk of days at a time (vectorized over all instruments) and written with storage.bars_upsert,
so running it again with the same arguments rewrites the same bars (same seed → same prices).
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.marketdata.kernels.simulation import MarketParams, SimulatedMarket
from apps.marketdata.kernels.simulation.frames import (
    SIMULATED_INTERVALS,
    bars_per_day,
    business_days,
    simulate_bar_frames,
)
from apps.marketdata.selectors.instruments import instruments_by_symbols, normalize_symbol
from apps.marketdata.services import instrument_create, storage


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--start must be a date like 2020-01-02, not {value!r}") from None


class Command(BaseCommand):
    help = "Generate N instruments × D days of simulated bars into the database."

    def add_arguments(self, parser):
        parser.add_argument("--instruments", type=int, default=50, help="how many SIM instruments")
        parser.add_argument("--symbols", nargs="+", help="existing instruments to simulate instead")
        parser.add_argument("--prefix", default="SIM", help="symbol prefix of created instruments")
        parser.add_argument("--sectors", type=int, default=8)
        parser.add_argument("--days", type=int, default=252, help="business days")
        parser.add_argument(
            "--start", type=_date, help="first day (default: --days business days before today)"
        )
        parser.add_argument("--interval", default="1d", choices=SIMULATED_INTERVALS)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **o):
        if o["days"] < 1:
            raise CommandError("--days must be at least 1")
        instruments = self._instruments(o)
        sector_names = sorted({i.sector for i in instruments})
        params = MarketParams.universe(
            len(instruments),
            n_sectors=len(sector_names),
            sectors=np.array([sector_names.index(i.sector) for i in instruments]),
            seed=o["seed"],
        )
        market = SimulatedMarket(params, seed=o["seed"])
        start = (
            o["start"]
            or business_days(dt.date.today() - dt.timedelta(days=int(o["days"] * 1.45) + 7), 1)[0].date()
        )
        total = len(instruments) * o["days"] * bars_per_day(o["interval"])
        ids = np.array([i.pk for i in instruments])
        written, t0 = 0, time.perf_counter()
        with tqdm(total=total, unit="bar", unit_scale=True, disable=o["no_progress"], desc="bars") as bar:
            for frame in simulate_bar_frames(
                market, instrument_ids=ids, interval=o["interval"], start=start, days=o["days"]
            ):
                storage.bars_upsert(frame, interval=o["interval"])
                written += len(frame)
                bar.update(len(frame))
        secs = time.perf_counter() - t0
        self.stdout.write(
            f"{written} {o['interval']} bars for {len(instruments)} instruments from {start} "
            f"in {secs:.1f} s ({written / max(secs, 1e-9):,.0f} bars/s)"
        )

    def _instruments(self, o) -> list:
        if o["symbols"]:
            wanted = [normalize_symbol(s) for s in o["symbols"]]
            found = instruments_by_symbols(wanted)
            missing = [s for s in wanted if s not in found]
            if missing:
                raise CommandError(f"unknown symbol(s): {', '.join(missing)}")
            return [found[s] for s in wanted]
        n = o["instruments"]
        if not 1 <= n <= 100_000:
            raise CommandError("--instruments must be between 1 and 100000")
        if o["sectors"] < 1:
            raise CommandError("--sectors must be at least 1")
        width = max(4, len(str(n)))
        symbols = [f"{o['prefix'].upper()}{k:0{width}d}" for k in range(1, n + 1)]
        existing = instruments_by_symbols(symbols)
        for k, sym in enumerate(symbols):
            if sym not in existing:
                existing[sym] = instrument_create(
                    symbol=sym, name=f"Simulated {sym}", sector=f"Sector {k % o['sectors'] + 1:02d}"
                )
        return [existing[s] for s in symbols]
