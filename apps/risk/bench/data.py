"""The database the monitor, check-API and latency parts of `bench risk` run against, made for the
run under one unique tag and removed afterwards (the whole of it, also when the bench fails).

What it writes, in bulk (the portfolio services book one transaction at a time, which for 50,000
positions would take minutes and measure the wrong thing): a universe of instruments with sectors,
industries and two quote currencies — USD and XTS, the ISO 4217 code reserved for testing, so the
XTS/USD rates it stores can be told from real ones and removed with it — about a year of daily bars
with volume (storage.bars_upsert, the COPY path), portfolios with their Position rows as
`transaction_record` would leave them, one buy or sell Transaction per position spread over the
last month (turnover reads them) plus the opening deposit, and the twelve limits of the issue on
each portfolio. The limits name an escalation policy of the run with no level, so an escalation
tick running somewhere never alerts anyone about bench portfolios.

Instruments are BENCHRISK<TAG>_<n>, portfolios benchrisk_<tag>_<n>, the owner benchrisk_<tag>.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.marketdata.models import Bar, FxRate, Instrument, LatestBar
from apps.marketdata.services import storage
from apps.portfolio.models import Portfolio, Position, Transaction

from ..models import EscalationPolicy, RiskLimit
from .kernel import ISSUE_LIMITS

log = logging.getLogger("apps.risk.bench")

TEST_CCY = "XTS"  # ISO 4217 "reserved for testing"
TEST_CCY_SHARE = 0.2
XTS_USD = 0.8
SECTORS = ("Energy", "Materials", "Industrials", "Discretionary", "Staples", "Health", "Financials")
SECTORS += ("Technology", "Communication", "Utilities", "Real Estate")
INDUSTRIES_PER_SECTOR = 6
TRADE_DAYS = 30  # trades spread over the last month: the 1-day turnover window sees about 1/30


@dataclass
class BenchBook:
    tag: str
    user: object
    symbols: list[str]
    prices: dict[str, float]  # latest close in the instrument's currency
    portfolio_ids: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    holdings: dict[int, dict[str, float]] = field(default_factory=dict)  # portfolio id -> symbol -> qty


def _dec(x: float, places: int = 6) -> Decimal:
    return Decimal(f"{x:.{places}f}")


@contextmanager
def bench_database(*, universe: int, days: int, seed: int = 17) -> Iterator[BenchBook]:
    """Instruments, bars and XTS/USD rates for the run; everything the run adds is removed after."""
    tag = uuid.uuid4().hex[:6].upper()
    user = get_user_model().objects.create_user(
        username=f"benchrisk_{tag.lower()}", password=uuid.uuid4().hex
    )
    rng = np.random.default_rng(seed)
    try:
        instruments, prices = _market(tag, universe, days, rng)
        yield BenchBook(tag=tag, user=user, symbols=[i.symbol for i in instruments], prices=prices)
    finally:
        _cleanup(user, tag)


def _market(tag: str, n: int, days: int, rng) -> tuple[list[Instrument], dict[str, float]]:
    sector = rng.integers(0, len(SECTORS), n)
    ccy = np.where(rng.random(n) < TEST_CCY_SHARE, TEST_CCY, "USD")
    instruments = Instrument.objects.bulk_create(
        [
            Instrument(
                symbol=f"BENCHRISK{tag}_{i:05d}",
                name=f"bench {i}",
                currency=str(ccy[i]),
                sector=SECTORS[sector[i]],
                industry=f"{SECTORS[sector[i]]} {rng.integers(0, INDUSTRIES_PER_SECTOR)}",
            )
            for i in range(n)
        ]
    )
    # Business days ending on the last one before today: the latest bar is yesterday's close.
    ts = pd.bdate_range(end=pd.Timestamp.now(tz="UTC").normalize() - pd.Timedelta(days=1), periods=days)
    market = rng.standard_t(4, (days, 1)) * 0.008
    returns = market * rng.uniform(0.6, 1.4, n) + rng.normal(0.0, 0.013, (days, n))
    price_usd = np.exp(rng.normal(4.0, 1.0, n))
    close = price_usd * np.cumprod(1.0 + returns, axis=0) / np.where(ccy == TEST_CCY, XTS_USD, 1.0)
    # Units a day from a traded USD amount (cheap shares trade more units), with daily noise.
    volume = np.exp(rng.normal(18.5, 1.3, n)) / price_usd * rng.lognormal(0.0, 0.3, (days, n))
    frame = pd.DataFrame(
        {
            "instrument_id": np.tile([i.pk for i in instruments], days),
            "ts": np.repeat(ts, n),
            "open": close.ravel(),
            "high": close.ravel() * 1.005,
            "low": close.ravel() * 0.995,
            "close": close.ravel(),
            "adj_close": close.ravel(),
            "volume": volume.ravel(),
        }
    )
    storage.bars_upsert(frame, interval="1d")
    fx = XTS_USD * np.exp(np.cumsum(rng.normal(0.0, 0.005, days)))
    storage.fx_upsert(pd.DataFrame({"base": TEST_CCY, "quote": "USD", "ts": ts, "rate": fx}))
    prices = {i.symbol: float(close[-1, k]) for k, i in enumerate(instruments)}
    return instruments, prices


def fx_to_usd(currency: str) -> float:
    """The rate the book loader will use for the latest bar (the last stored XTS/USD)."""
    if currency != TEST_CCY:
        return 1.0
    return float(
        FxRate.objects.filter(base=TEST_CCY, quote="USD").order_by("-ts").values_list("rate", flat=True)[0]
    )


@transaction.atomic
def portfolios_add(
    db: BenchBook, *, count: int, positions: int, seed: int = 23, name: str = "bench"
) -> list[int]:
    """`count` USD portfolios of `positions` distinct instruments each (about one in seven short),
    with their positions, trades and the twelve limits; returns their ids."""
    rng = np.random.default_rng(seed + len(db.portfolio_ids))
    start = len(db.portfolio_ids)
    k = min(positions, len(db.symbols))
    rate = {c: fx_to_usd(c) for c in ("USD", TEST_CCY)}
    ccy = dict(Instrument.objects.filter(symbol__in=db.symbols).values_list("symbol", "currency"))
    ids = dict(Instrument.objects.filter(symbol__in=db.symbols).values_list("symbol", "pk"))
    made = Portfolio.objects.bulk_create(
        [
            Portfolio(
                code=f"benchrisk_{db.tag.lower()}_{start + i:05d}",
                name=name,
                owner=db.user,
                base_currency="USD",
                long_only=False,
            )
            for i in range(count)
        ]
    )
    now = timezone.now()
    policy, _ = EscalationPolicy.objects.get_or_create(
        name=f"benchrisk-{db.tag.lower()}", defaults={"description": "bench run: no alerts"}
    )
    pos_rows, tx_rows, limit_rows = [], [], []
    for pf in made:
        picks = rng.choice(len(db.symbols), k, replace=False)
        size = float(np.exp(rng.normal(15.5, 0.8)))  # about 5M USD
        weight = rng.lognormal(0.0, 0.45, k)
        weight /= weight.sum()
        held: dict[str, float] = {}
        spent = 0.0
        for j, w in zip(picks, weight, strict=True):
            sym = db.symbols[j]
            price = db.prices[sym]
            qty = max(1.0, round(size * w / (price * rate[ccy[sym]])))
            qty = -qty if rng.random() < 0.14 else qty
            held[sym] = qty
            spent += qty * price * rate[ccy[sym]]
            pos_rows.append(
                Position(portfolio=pf, instrument_id=ids[sym], quantity=_dec(qty), average_cost=_dec(price))
            )
            tx_rows.append(
                Transaction(
                    portfolio=pf,
                    type="buy" if qty > 0 else "sell",
                    instrument_id=ids[sym],
                    quantity=_dec(abs(qty)),
                    price=_dec(price),
                    timestamp=now - pd.Timedelta(days=float(rng.uniform(0, TRADE_DAYS))),
                )
            )
        cash = size * float(rng.uniform(0.05, 0.3))
        pf.cash = _dec(cash, 2)
        if cash + spent > 0:
            tx_rows.append(
                Transaction(
                    portfolio=pf,
                    type="deposit",
                    amount=_dec(cash + spent, 2),
                    timestamp=now - pd.Timedelta(days=TRADE_DAYS + 1),
                )
            )
        limit_rows += [
            RiskLimit(
                portfolio=pf,
                name=f"bench {t}",
                limit_type=t,
                unit=u,
                warn_threshold=w,
                breach_threshold=b,
                escalation_policy=policy,
                **extra,
            )
            for t, u, w, b, extra in ISSUE_LIMITS
        ]
        db.holdings[pf.pk] = held
    Portfolio.objects.bulk_update(made, ["cash"], batch_size=2000)
    Position.objects.bulk_create(pos_rows, batch_size=5000)
    Transaction.objects.bulk_create(tx_rows, batch_size=5000)
    RiskLimit.objects.bulk_create(limit_rows, batch_size=5000)
    db.portfolio_ids += [p.pk for p in made]
    db.codes += [p.code for p in made]
    return [p.pk for p in made]


# The tables the run writes. Autovacuum (off on some machines, this one included) would analyze
# them soon after a real bulk load and vacuum them after a delete; the bench does both itself, so
# the planner times the check against the data it holds and the next run does not read past this
# run's dead rows. A CHECKPOINT then writes the load's dirty pages out before anything is timed,
# rather than during it. PostgreSQL outside a transaction only (VACUUM cannot run inside one).
_WRITTEN = (Instrument, Bar, LatestBar, FxRate, Portfolio, Position, Transaction, RiskLimit)


def tables_tidy(*, vacuum: bool = False) -> None:
    """ANALYZE (with `vacuum`, VACUUM ANALYZE) the tables the bench writes, then CHECKPOINT; best
    effort."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = ", ".join(m._meta.db_table for m in _WRITTEN)
    for sql in (f"{'VACUUM ' if vacuum else ''}ANALYZE {tables}", "CHECKPOINT"):
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        except DatabaseError as exc:  # not the owner or a superuser: the figures stand, a little noisier
            log.warning("bench tables: %s failed: %s", sql.split()[0], exc)


def _cleanup(user, tag: str) -> None:
    # Portfolios first (their positions, trades, limits and breaches go with them), then the bars
    # in one statement (a cascade from Instrument would load them), then what nothing references.
    Portfolio.objects.filter(owner=user).delete()
    EscalationPolicy.objects.filter(name=f"benchrisk-{tag.lower()}").delete()
    pks = list(Instrument.objects.filter(symbol__startswith=f"BENCHRISK{tag}_").values_list("pk", flat=True))
    if pks:
        Bar.objects.filter(instrument_id__in=pks).delete()
        Instrument.objects.filter(pk__in=pks).delete()
    FxRate.objects.filter(base=TEST_CCY).delete()
    FxRate.objects.filter(quote=TEST_CCY).delete()
    user.delete()
    tables_tidy(vacuum=True)
