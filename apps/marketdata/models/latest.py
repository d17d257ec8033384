"""The latest bar per instrument, kept by the database.

One row per instrument that has bars: its most recent bar at any interval (latest start `ts`; on a
tie the finer interval), the same pick as `selectors.latest_bars`. A pre-trade check reads 500 of
these by primary key instead of walking the bar table's index once per (instrument, interval).

Nothing in Python writes it. On PostgreSQL statement-level triggers on `marketdata_bar` (migration
0006) keep it in step with every writer: COPY, INSERT ... ON CONFLICT, the ORM, other processes,
deletes and TRUNCATE. Where they are not installed (SQLite; TimescaleDB hypertables, which do not
support transition tables) the table stays empty and the selectors read the bar table instead.
"""

from __future__ import annotations

from django.db import models

from .instruments import Instrument
from .ticks import INTERVALS


class LatestBar(models.Model):
    # No database foreign key, like the tick tables (models/ticks.py): the row follows the bars,
    # whose writers already resolve instrument ids. DO_NOTHING: deleting an instrument is refused
    # while it has bars (Bar's PROTECT), and its row goes with its last bar.
    instrument = models.OneToOneField(
        Instrument,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        related_name="+",
        db_constraint=False,
    )
    interval = models.CharField(max_length=4, choices=[(i, i) for i in INTERVALS])
    ts = models.DateTimeField(help_text="Start of the bar, UTC.")
    close = models.FloatField()

    class Meta:
        db_table = "marketdata_latestbar"

    def __str__(self) -> str:
        return f"{self.instrument_id} latest {self.interval} {self.ts:%Y-%m-%d %H:%M}"
