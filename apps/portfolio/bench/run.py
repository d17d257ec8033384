"""`manage.py bench portfolio`: what keeping the book of record exact costs, next to a baseline
measured in the same run.

- Book replay (kernels.book.book_replay: Decimal arithmetic, one transaction at a time, as
  positions_rebuild runs it) against the same trades replayed in float64 with numpy (a grouped
  cumulative sum of signed quantities and cash): the price of exactness.
- Booking (services.transaction_record: lock the portfolio and the position row, validate, move
  position and cash) against a bare INSERT of the same transaction rows (bulk_create): the price of
  the checks and the derived state. Done inside a transaction that is rolled back at the end, so
  nothing stays and no bus event is published (on_commit never fires).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction

from apps.marketdata import facade as marketdata
from apps.marketdata.services import instrument_upsert

from ..kernels.book import book_replay
from ..models import Transaction
from ..services import portfolio_create, transaction_record
from . import book_read, optimization

FULL = {
    "replay_tx": 20000,
    "book_tx": 500,
    "instruments": 20,
    "assets": 500,
    "days": 756,
    "frontier_points": 50,
    "mip_seconds": 30,
    "positions": 500,
    "requests": 200,
}
QUICK = {
    "replay_tx": 500,
    "book_tx": 20,
    "instruments": 5,
    "assets": 40,
    "days": 120,
    "frontier_points": 5,
    "mip_seconds": 5,
    "positions": 50,
    "requests": 10,
}
SEED = 7


@dataclass(frozen=True)
class _Row:
    type: str
    instrument_id: int | None
    quantity: Decimal | None
    price: Decimal | None
    fees: Decimal
    amount: Decimal | None
    fx_rate: Decimal = Decimal(1)


class _Rollback(Exception):
    pass


def figure(name: str, value: float, unit: str, baseline: float | None = None) -> dict:
    out = {"name": name, "value": float(value), "unit": unit}
    if baseline is not None:
        out["baseline"] = float(baseline)
        out["ratio"] = float(value) / float(baseline) if baseline else None
    return out


def _trades(n: int, instruments: int, rng: np.random.Generator) -> list[tuple[str, int, int, float]]:
    """Buys and sells that never go short: (side, instrument index, quantity, price)."""
    held = np.zeros(instruments, dtype=np.int64)
    out = []
    for _ in range(n):
        i = int(rng.integers(instruments))
        qty = int(rng.integers(1, 100))
        side = "sell" if held[i] >= qty and rng.random() < 0.4 else "buy"
        held[i] += qty if side == "buy" else -qty
        out.append((side, i, qty, round(float(rng.uniform(10, 500)), 2)))
    return out


def _replay_figures(n: int, instruments: int, rng: np.random.Generator) -> list[dict]:
    trades = _trades(n, instruments, rng)
    rows = [_Row("deposit", None, None, None, Decimal(0), Decimal("1e9"))] + [
        _Row(side, i, Decimal(q), Decimal(f"{p:.2f}"), Decimal("1.00"), None) for side, i, q, p in trades
    ]
    t0 = time.perf_counter()
    book_replay(rows)
    exact = time.perf_counter() - t0

    side = np.array([1.0 if t[0] == "buy" else -1.0 for t in trades])
    inst = np.array([t[1] for t in trades])
    qty = np.array([t[2] for t in trades], dtype=np.float64)
    price = np.array([t[3] for t in trades])
    t0 = time.perf_counter()
    signed = side * qty
    order = np.argsort(inst, kind="stable")
    np.add.reduceat(signed[order], np.r_[0, np.flatnonzero(np.diff(inst[order])) + 1])
    _ = 1e9 - np.sum(signed * price) - 1.0 * len(trades)
    baseline = time.perf_counter() - t0
    return [figure("book_replay_tx_per_s", len(rows) / exact, "tx/s", len(rows) / max(baseline, 1e-9))]


def _booking_figures(n: int, instruments: int, rng: np.random.Generator) -> list[dict]:
    trades = _trades(n, instruments, rng)
    at = dt.datetime(2024, 1, 2, 15, tzinfo=dt.UTC)
    result: list[dict] = []
    try:
        with transaction.atomic():
            user = get_user_model().objects.create(username=f"bench-portfolio-{time.time_ns()}")
            symbols = [
                instrument_upsert(symbol=f"BNCHP{i}", name=f"Bench {i}")[0].symbol for i in range(instruments)
            ]
            booked = portfolio_create(code=f"bench-booked-{time.time_ns()}", name="bench", owner=user)
            bare = portfolio_create(code=f"bench-bare-{time.time_ns()}", name="bench", owner=user)
            transaction_record(
                portfolio=booked, type="deposit", amount=Decimal("1e9"), timestamp=at, created_by=user
            )
            t0 = time.perf_counter()
            for side, i, q, p in trades:
                transaction_record(
                    portfolio=booked,
                    type=side,
                    instrument=symbols[i],
                    quantity=Decimal(q),
                    price=Decimal(f"{p:.2f}"),
                    fees=Decimal("1.00"),
                    timestamp=at,
                    created_by=user,
                )
            service = time.perf_counter() - t0
            by_symbol = marketdata.instruments_by_symbols(symbols)
            t0 = time.perf_counter()
            Transaction.objects.bulk_create(
                Transaction(
                    portfolio=bare,
                    type=side,
                    instrument_id=by_symbol[symbols[i]].id,
                    quantity=Decimal(q),
                    price=Decimal(f"{p:.2f}"),
                    fees=Decimal("1.00"),
                    timestamp=at,
                    created_by=user,
                )
                for side, i, q, p in trades
            )
            insert = time.perf_counter() - t0
            result = [figure("transaction_record_tx_per_s", n / service, "tx/s", n / max(insert, 1e-9))]
            raise _Rollback
    except _Rollback:
        pass
    return result


def run(*, quick: bool = False, progress: bool = True, **params) -> dict:
    sizes = {**(QUICK if quick else FULL), **{k: int(v) for k, v in params.items() if k in FULL}}
    rng = np.random.default_rng(SEED)
    figures = _replay_figures(sizes["replay_tx"], sizes["instruments"], rng)
    figures += _booking_figures(sizes["book_tx"], sizes["instruments"], rng)
    figures += optimization.figures(
        n_assets=sizes["assets"],
        n_days=sizes["days"],
        frontier_points=sizes["frontier_points"],
        mip_time_limit=float(sizes["mip_seconds"]),
        rng=rng,
    )
    figures += book_read.figures(n_positions=sizes["positions"], requests=sizes["requests"])
    return {
        "engine": "portfolio",
        "sizes": sizes,
        "notes": (
            "booking baseline: bulk INSERT of the same rows; min variance baseline: PyPortfolioOpt on the"
            " same covariance and constraints; book read baseline: the same rows read alone; all bench"
            " rows are rolled back"
        ),
        "figures": figures,
    }
