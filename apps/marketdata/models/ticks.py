"""Price time series. Each table's primary key is its natural key with the time column in it, so
PostgreSQL upserts by it (`INSERT ... ON CONFLICT`) and TimescaleDB can partition by time.

Prices are float64 (DOUBLE PRECISION): market data feeds analytics kernels as numpy arrays; exact
Decimal money belongs to the book of record (apps.portfolio).
"""

from __future__ import annotations

import re

from django.db import models

from .instruments import Instrument

# Supported bar intervals, shortest first. Resampling goes from a finer to a coarser one.
INTERVALS = ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1mo")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_INTERVAL_RE = re.compile(r"^(\d+)(mo|m|h|d|w)$")


def tick_instrument_key() -> models.ForeignKey:
    """The instrument of a tick-table row, without a database-level foreign key constraint.

    Why: PostgreSQL checks a foreign key row by row (a deferred trigger per inserted row), which
    halves bulk-load speed on these tables, the largest in the platform. Every writer resolves
    instrument ids from the Instrument table in its own transaction (ingestion, feeds, simulation),
    and deleting an instrument that has market data is refused by the ORM (PROTECT): retire it with
    `is_active=False` instead. The leading primary-key column already indexes it (db_index=False).
    """
    return models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )


def interval_seconds(interval: str) -> int:
    """Nominal length of an interval in seconds (a month counts 30 days, for ordering only)."""
    m = _INTERVAL_RE.match(interval)
    if not m or interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}; use one of {', '.join(INTERVALS)}")
    n, unit = int(m.group(1)), m.group(2)
    return n * (30 * 86400 if unit == "mo" else _UNIT_SECONDS[unit])


class Bar(models.Model):
    pk = models.CompositePrimaryKey("instrument_id", "interval", "ts")
    instrument = tick_instrument_key()
    interval = models.CharField(max_length=4, choices=[(i, i) for i in INTERVALS])
    ts = models.DateTimeField(help_text="Start of the bar, UTC.")
    open = models.FloatField()
    high = models.FloatField()
    low = models.FloatField()
    close = models.FloatField()
    adj_close = models.FloatField(null=True, blank=True)
    volume = models.FloatField(default=0)
    vwap = models.FloatField(null=True, blank=True)
    trade_count = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "marketdata_bar"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(high__gte=models.F("open"))
                & models.Q(high__gte=models.F("close"))
                & models.Q(low__lte=models.F("open"))
                & models.Q(low__lte=models.F("close")),
                name="bar_high_low_bound_open_close",
            ),
            models.CheckConstraint(condition=models.Q(volume__gte=0), name="bar_volume_non_negative"),
            models.CheckConstraint(condition=models.Q(interval__in=INTERVALS), name="bar_interval_known"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.interval} {self.ts:%Y-%m-%d %H:%M}"


class Quote(models.Model):
    pk = models.CompositePrimaryKey("instrument_id", "ts")
    instrument = tick_instrument_key()
    ts = models.DateTimeField()
    bid = models.FloatField()
    ask = models.FloatField()
    bid_size = models.FloatField(default=0)
    ask_size = models.FloatField(default=0)

    class Meta:
        db_table = "marketdata_quote"
        constraints = [
            models.CheckConstraint(condition=models.Q(ask__gte=models.F("bid")), name="quote_not_crossed"),
            models.CheckConstraint(
                condition=models.Q(bid_size__gte=0) & models.Q(ask_size__gte=0),
                name="quote_sizes_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.ts} {self.bid}/{self.ask}"


class Trade(models.Model):
    """One print. `seq` tells apart prints that share a timestamp (the feed's trade id or a counter)."""

    pk = models.CompositePrimaryKey("instrument_id", "ts", "seq")
    instrument = tick_instrument_key()
    ts = models.DateTimeField()
    seq = models.BigIntegerField(default=0)
    price = models.FloatField()
    size = models.FloatField()

    class Meta:
        db_table = "marketdata_trade"
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="trade_price_positive"),
            models.CheckConstraint(condition=models.Q(size__gte=0), name="trade_size_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.ts} {self.size}@{self.price}"


class OrderBookSnapshot(models.Model):
    """Level-2 book at one instant: price/size arrays per side, best level first."""

    pk = models.CompositePrimaryKey("instrument_id", "ts")
    instrument = tick_instrument_key()
    ts = models.DateTimeField()
    bid_prices = models.JSONField(default=list)
    bid_sizes = models.JSONField(default=list)
    ask_prices = models.JSONField(default=list)
    ask_sizes = models.JSONField(default=list)

    class Meta:
        db_table = "marketdata_orderbook"

    def __str__(self) -> str:
        return f"{self.instrument_id} book {self.ts}"
