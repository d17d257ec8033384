"""`manage.py bench marketdata`: bulk bar loading and panel reads, each next to a baseline measured
in the same run.

- Load: bars/s through the COPY path (`storage.bars_upsert`: binary COPY into a staging table, then
  INSERT ... ON CONFLICT) for `instruments × bars` new daily bars, against the ORM path
  (`storage.bars_bulk_create`: model instances + bulk_create with update_conflicts) on
  `orm_instruments × bars` (a smaller slice, the ORM being slow; both figures are rates). Also the
  idempotent reload of the same frame (every row a conflict that updates).
- Read: `facade.price_panel` of `panel_instruments` × `panel_years` of daily closes, against one raw
  SQL query read into pandas and pivoted.

Everything it writes belongs to instruments named BENCH_*, deleted at the end (and at the start, in
case an earlier run was killed). PostgreSQL is the store these figures are about; on SQLite the
same code runs through the executemany path and the result says so.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd
from django.db import connection, transaction
from tqdm import tqdm

from ..models import Instrument
from ..services import storage

FULL = {"instruments": 500, "bars": 1000, "orm_instruments": 50, "panel_instruments": 500, "panel_years": 10}
QUICK = {"instruments": 10, "bars": 100, "orm_instruments": 3, "panel_instruments": 10, "panel_years": 1}
PREFIX = "BENCH_"
TARGET_BARS_PER_S = 200_000
START = pd.Timestamp("2010-01-04", tz="UTC")


def run(*, quick: bool = False, progress: bool = True, **params) -> dict:
    sizes = {**(QUICK if quick else FULL), **{k: int(v) for k, v in params.items() if k in FULL}}
    sizes["panel_instruments"] = min(sizes["panel_instruments"], sizes["instruments"])
    vendor = connection.vendor
    notes = [f"database: {vendor}", f"target: >= {TARGET_BARS_PER_S:,} bars/s through COPY into PostgreSQL"]
    if vendor != "postgresql":
        notes.append("not PostgreSQL: the 'copy' figures measure the SQLite executemany upsert path instead")
    rng = np.random.default_rng(7)
    figures: list[dict] = []
    bar = tqdm(total=6, desc="bench marketdata", file=sys.stderr, disable=not progress, leave=False)
    _cleanup()
    try:
        main_ids = _instruments("L", sizes["instruments"])
        orm_ids = _instruments("O", sizes["orm_instruments"])
        frame = _bars(main_ids, sizes["bars"], START, rng)
        bar.update()

        with _timer() as copy_s:
            storage.bars_upsert(frame, interval="1d")
        bar.update()
        with _timer() as reload_s:
            storage.bars_upsert(frame, interval="1d")
        bar.update()
        orm_frame = _bars(orm_ids, sizes["bars"], START, rng)
        with _timer() as orm_s:
            storage.bars_bulk_create(orm_frame, interval="1d")
        bar.update()
        orm_rate = len(orm_frame) / orm_s()
        figures.append(_figure("copy_load_bars_per_s", len(frame) / copy_s(), "bars/s", orm_rate))
        figures.append(_figure("copy_reload_bars_per_s", len(frame) / reload_s(), "bars/s", orm_rate))
        figures.append(_figure("orm_bulk_create_bars_per_s", orm_rate, "bars/s"))

        # Top up the panel instruments to panel_years of business days (the load above is shorter).
        panel_ids = main_ids[: sizes["panel_instruments"]]
        days = sizes["panel_years"] * 252
        if days > sizes["bars"]:
            more_start = START + pd.offsets.BDay(sizes["bars"])
            storage.bars_upsert(_bars(panel_ids, days - sizes["bars"], more_start, rng), interval="1d")
        bar.update()
        symbols = [f"{PREFIX}L{k:05d}" for k in range(sizes["panel_instruments"])]
        end = START + pd.offsets.BDay(days)
        panel_s, panel_shape, how = _read_panel(symbols, START, end)
        raw_s, raw_shape = _read_raw_sql(panel_ids, START, end)
        if panel_shape != raw_shape:
            notes.append(f"panel shapes differ: facade {panel_shape} vs raw SQL {raw_shape}")
        figures.append(_figure("panel_read_seconds", panel_s, "s", raw_s))
        figures.append(_figure("panel_raw_sql_seconds", raw_s, "s"))
        notes.append(f"panel read through {how}: {panel_shape[0]} dates x {panel_shape[1]} instruments")
        bar.update()
    finally:
        bar.close()
        _cleanup()
    return {"engine": "marketdata", "sizes": sizes, "notes": notes, "figures": figures}


# --- helpers --------------------------------------------------------------------------------------


def _figure(name: str, value: float, unit: str, baseline: float | None = None) -> dict:
    out = {"name": name, "value": round(value, 4), "unit": unit}
    if baseline is not None:
        out["baseline"] = round(baseline, 4)
        out["ratio"] = round(value / baseline, 3) if baseline else None
    return out


@contextmanager
def _timer():
    start = time.perf_counter()
    elapsed: list[float] = []
    yield lambda: elapsed[0]
    elapsed.append(time.perf_counter() - start)


def _instruments(tag: str, n: int) -> list[int]:
    made = Instrument.objects.bulk_create([Instrument(symbol=f"{PREFIX}{tag}{k:05d}") for k in range(n)])
    if made and made[0].pk is None:  # backends that do not return ids from bulk_create
        return list(
            Instrument.objects.filter(symbol__startswith=f"{PREFIX}{tag}")
            .order_by("symbol")
            .values_list("pk", flat=True)
        )
    return [i.pk for i in made]


def _bars(ids: list[int], n: int, start: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    """Random-walk daily bars that satisfy every bar rule, instrument-major like a file load."""
    ts = pd.bdate_range(start, periods=n, tz="UTC")
    k = len(ids)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (k, n)), axis=1)).ravel()
    open_ = close * (1 + rng.normal(0, 0.003, k * n))
    spread = np.abs(rng.normal(0, 0.005, k * n)) * close
    return pd.DataFrame(
        {
            "instrument_id": np.repeat(ids, n),
            "ts": np.tile(ts, k),
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
            "adj_close": close,
            "volume": rng.integers(1_000, 1_000_000, k * n).astype(float),
            "vwap": (open_ + close) / 2,
            "trade_count": rng.integers(10, 5_000, k * n).astype(float),
        }
    )


def _read_panel(symbols: list[str], start, end) -> tuple[float, tuple[int, int], str]:
    ids = list(Instrument.objects.filter(symbol__in=symbols).values_list("pk", flat=True))
    try:
        from ..facade import price_panel

        with _timer() as took:
            panel = price_panel(symbols, start=start, end=end, interval="1d", field="close")
        return took(), panel.shape, "facade.price_panel"
    except Exception as exc:  # noqa: BLE001 - the read figure still comes out, and says why it is raw SQL
        seconds, shape = _read_raw_sql(ids, start, end)
        return seconds, shape, f"raw SQL (facade.price_panel failed: {type(exc).__name__}: {exc})"


def _read_raw_sql(ids: list[int], start, end) -> tuple[float, tuple[int, int]]:
    with _timer() as took:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT instrument_id, ts, close FROM marketdata_bar "
                f"WHERE interval = %s AND ts >= %s AND ts <= %s AND instrument_id IN ({', '.join(['%s'] * len(ids))})",
                [
                    "1d",
                    *(connection.ops.adapt_datetimefield_value(t.to_pydatetime()) for t in (start, end)),
                    *ids,
                ],
            )
            rows = cursor.fetchall()
        frame = pd.DataFrame(rows, columns=["instrument_id", "ts", "close"])
        panel = frame.pivot(index="ts", columns="instrument_id", values="close")
    return took(), panel.shape


def _cleanup() -> None:
    """Bars by one DELETE (the ORM cascade would load every row first), then the instruments."""
    with transaction.atomic():
        ids = list(Instrument.objects.filter(symbol__startswith=PREFIX).values_list("pk", flat=True))
        if not ids:
            return
        with connection.cursor() as cursor:
            for table in ("marketdata_bar", "marketdata_quote", "marketdata_trade"):
                cursor.execute(
                    f"DELETE FROM {table} WHERE instrument_id IN ({', '.join(['%s'] * len(ids))})", ids
                )
        Instrument.objects.filter(pk__in=ids).delete()
