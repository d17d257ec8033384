"""Bulk ingestion: file → checked frame → one transaction of upserts → one summary event per symbol.

    report = bars_ingest(source="spx.csv", symbol="SPX", interval="1d")

Nothing is written until every row has been checked. A file with bad rows is refused as a whole
(`IngestRejected`, carrying the row report) unless `skip_invalid`, which writes the good rows and
reports the rest. Unknown symbols are an error naming them unless `create_instruments`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.platform.fields import instant_problem
from apps.platform.timestamps import iso_utc

from ..models import INTERVALS, EconomicSeries, Instrument
from ..selectors.ingest.bars import bars_prepare
from ..selectors.ingest.checks import MAX_REPORTED_ERRORS
from ..selectors.ingest.fundamentals import fundamentals_prepare
from ..selectors.ingest.fx import fx_prepare
from ..selectors.ingest.reading import ROW_NUMBERING, FileFormatError, RawTable, Source, read_table
from ..selectors.ingest.series import series_prepare
from . import storage
from .instruments import instrument_create

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
# Rows per upsert call inside the one transaction: only there so progress moves during big loads.
WRITE_CHUNK_ROWS = 50_000


@dataclass
class IngestReport:
    kind: str  # bars, series, fundamentals, fx
    rows_read: int
    rows_valid: int
    rows_invalid: int
    rows_written: int = 0
    errors: list[dict] = field(default_factory=list)  # {"row", "column", "reason"}, by row
    errors_truncated: bool = False
    row_numbering: str = ROW_NUMBERING
    interval: str | None = None
    groups: dict[str, dict] = field(default_factory=dict)  # per symbol / series / pair: count, first, last
    created_instruments: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


class IngestRejected(ValidationError):
    """The file has invalid rows and skip_invalid was not asked: nothing was written."""

    def __init__(self, report: IngestReport):
        self.report = report
        super().__init__(
            {"file": [f"{report.rows_invalid} invalid row(s) of {report.rows_read}; nothing written"]}
        )

    def detail(self) -> dict:
        """Field message plus the full row report (row numbers stay integers)."""
        return {"file": self.messages, "report": self.report.to_dict()}


def _noop(pct: float, message: str) -> None:
    return None


def _read(source: Source, fmt: str | None, name: str) -> RawTable:
    try:
        return read_table(source, fmt=fmt, name=name)
    except FileFormatError as exc:
        raise ValidationError({"file": str(exc)}) from None


def _read_and_check(
    kind: str,
    source: Source,
    fmt: str | None,
    name: str,
    progress: Progress,
    prepare,
    *,
    skip_invalid: bool,
    **extra,
) -> tuple[IngestReport, pd.DataFrame]:
    """The steps every load shares: read the file, prepare and check its rows, report progress.
    Raises IngestRejected (via _report) when bad rows exist and skip_invalid is off."""
    table = _read(source, fmt, name)
    progress(10, f"read {len(table.frame)} rows")
    prepared = prepare(table)
    report = _report(kind, prepared, skip_invalid=skip_invalid, **extra)
    progress(30, f"checked: {report.rows_valid} valid, {report.rows_invalid} invalid")
    return report, prepared.frame


def _report(kind: str, prepared, *, skip_invalid: bool, **extra) -> IngestReport:
    errors = prepared.problems.errors()
    report = IngestReport(
        kind=kind,
        rows_read=prepared.rows_read,
        rows_valid=prepared.rows_read - prepared.problems.count,
        rows_invalid=prepared.problems.count,
        errors=errors,
        errors_truncated=len(errors) >= MAX_REPORTED_ERRORS,
        **extra,
    )
    if report.rows_invalid and not skip_invalid:
        raise IngestRejected(report)
    return report


def _groups(frame: pd.DataFrame, by: str | list[str], time_col: str) -> dict[str, dict]:
    if frame.empty:
        return {}
    stats = frame.groupby(by)[time_col].agg(["count", "min", "max"])
    out = {}
    for key, row in stats.iterrows():
        name = "".join(key) if isinstance(key, tuple) else str(key)
        out[name] = {
            "count": int(row["count"]),
            "first": _bound(row["min"]),
            "last": _bound(row["max"]),
        }
    return out


def _bound(value) -> str:
    """A time column's first/last value as text: an instant in the one UTC format (`...Z`), a date
    as YYYY-MM-DD."""
    if isinstance(value, pd.Timestamp) and value.tzinfo is not None:
        return iso_utc(value)
    return value.isoformat()


def _instrument_ids(symbols: list[str], *, create: bool) -> tuple[dict[str, int], list[str]]:
    """Symbol → instrument id. Unknown symbols: created when asked, else one error naming them all."""
    ids = dict(Instrument.objects.filter(symbol__in=symbols).values_list("symbol", "id"))
    unknown = sorted(set(symbols) - set(ids))
    if unknown and not create:
        raise ValidationError(
            {
                "symbol": f"unknown symbol(s): {', '.join(unknown)}; create them first or pass create_instruments"
            }
        )
    for symbol in unknown:
        ids[symbol] = instrument_create(symbol=symbol).pk
    return ids, unknown


def _write_chunks(frame: pd.DataFrame, write: Callable[[pd.DataFrame], int], progress: Progress) -> int:
    written = 0
    total = max(len(frame), 1)
    for start in range(0, len(frame), WRITE_CHUNK_ROWS):
        written += write(frame.iloc[start : start + WRITE_CHUNK_ROWS])
        progress(40 + 55 * min(start + WRITE_CHUNK_ROWS, total) / total, f"written {written} rows")
    return written


def _publish_bar_events(groups: dict[str, dict], interval: str) -> None:
    from apps.platform import bus

    for symbol, summary in groups.items():
        bus.publish(
            f"market.data.bars.{symbol}",
            {"symbol": symbol, "interval": interval, "source": "ingest", **summary},
        )


# --- bars -----------------------------------------------------------------------------------------


def bars_ingest(
    *,
    source: Source,
    symbol: str | None = None,
    interval: str = "1d",
    create_instruments: bool = False,
    skip_invalid: bool = False,
    fmt: str | None = None,
    name: str = "",
    progress: Progress | None = None,
) -> IngestReport:
    progress = progress or _noop
    if interval not in INTERVALS:
        raise ValidationError(
            {"interval": f"unknown interval {interval!r}; use one of {', '.join(INTERVALS)}"}
        )
    report, frame = _read_and_check(
        "bars",
        source,
        fmt,
        name,
        progress,
        lambda table: bars_prepare(table, symbol=symbol),
        skip_invalid=skip_invalid,
        interval=interval,
    )
    report.groups = _groups(frame, "symbol", "ts")
    with transaction.atomic():
        ids, report.created_instruments = _instrument_ids(
            sorted(frame["symbol"].unique()), create=create_instruments
        )
        frame = frame.assign(instrument_id=frame["symbol"].map(ids))
        report.rows_written = _write_chunks(
            frame, lambda chunk: storage.bars_upsert(chunk, interval=interval), progress
        )
        groups = report.groups
        transaction.on_commit(lambda: _publish_bar_events(groups, interval))
    progress(100, f"{report.rows_written} bars written")
    return report


# --- economic series ------------------------------------------------------------------------------


def series_ingest(
    *,
    source: Source,
    code: str | None = None,
    title: str = "",
    frequency: str = "",
    units: str = "",
    known_at: dt.datetime | None = None,
    skip_invalid: bool = False,
    fmt: str | None = None,
    name: str = "",
    progress: Progress | None = None,
) -> IngestReport:
    """`known_at`: when these values became known (default now), unless the file has a
    `realtime_start` column. Series are created on first load; title/frequency/units update them."""
    progress = progress or _noop
    known_at = known_at or timezone.now()
    if timezone.is_naive(known_at):
        raise ValidationError({"known_at": "give a timezone-aware time"})
    if instant_problem(known_at):
        raise ValidationError({"known_at": instant_problem(known_at)})
    report, frame = _read_and_check(
        "series",
        source,
        fmt,
        name,
        progress,
        lambda table: series_prepare(table, code=code, known_at=known_at),
        skip_invalid=skip_invalid,
    )
    report.groups = _groups(frame, "code", "date")
    attrs = {k: v for k, v in {"title": title, "frequency": frequency, "units": units}.items() if v}
    with transaction.atomic():
        ids = {}
        for series_code in sorted(frame["code"].unique()):
            series, created = EconomicSeries.objects.get_or_create(code=series_code, defaults=attrs)
            if attrs and not created:
                EconomicSeries.objects.filter(pk=series.pk).update(**attrs, updated_at=timezone.now())
            ids[series_code] = series.pk
        frame = frame.assign(series_id=frame["code"].map(ids))
        report.rows_written = _write_chunks(frame, storage.observations_upsert, progress)
    progress(100, f"{report.rows_written} observations written")
    return report


# --- fundamentals ---------------------------------------------------------------------------------


def fundamentals_ingest(
    *,
    source: Source,
    symbol: str | None = None,
    reported_at: dt.datetime | None = None,
    create_instruments: bool = False,
    skip_invalid: bool = False,
    fmt: str | None = None,
    name: str = "",
    progress: Progress | None = None,
) -> IngestReport:
    """`reported_at` (default now) applies to rows without their own reported_at column."""
    progress = progress or _noop
    reported_at = reported_at or timezone.now()
    if instant_problem(reported_at):
        raise ValidationError({"reported_at": instant_problem(reported_at)})
    report, frame = _read_and_check(
        "fundamentals",
        source,
        fmt,
        name,
        progress,
        lambda table: fundamentals_prepare(table, symbol=symbol, reported_at=reported_at),
        skip_invalid=skip_invalid,
    )
    report.groups = _groups(frame, "symbol", "period_end")
    with transaction.atomic():
        ids, report.created_instruments = _instrument_ids(
            sorted(frame["symbol"].unique()), create=create_instruments
        )
        frame = frame.assign(instrument_id=frame["symbol"].map(ids))
        report.rows_written = _write_chunks(frame, storage.fundamentals_upsert, progress)
    progress(100, f"{report.rows_written} figures written")
    return report


# --- FX -------------------------------------------------------------------------------------------


def fx_ingest(
    *,
    source: Source,
    base: str | None = None,
    quote: str | None = None,
    skip_invalid: bool = False,
    fmt: str | None = None,
    name: str = "",
    progress: Progress | None = None,
) -> IngestReport:
    progress = progress or _noop
    report, frame = _read_and_check(
        "fx",
        source,
        fmt,
        name,
        progress,
        lambda table: fx_prepare(table, base=base, quote=quote),
        skip_invalid=skip_invalid,
    )
    report.groups = _groups(frame, ["base", "quote"], "ts")
    with transaction.atomic():
        report.rows_written = _write_chunks(frame, storage.fx_upsert, progress)
    progress(100, f"{report.rows_written} rates written")
    return report
