"""What the ingest_* commands share: a tqdm progress bar, the printed report, errors as CommandError."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from apps.marketdata.services import IngestRejected, IngestReport

SHOWN_ERRORS = 50


def parse_when(value: str | None, option: str) -> dt.datetime | None:
    """An ISO date or datetime; naive values are UTC."""
    if not value:
        return None
    try:
        # Well-formed but impossible values (2024-02-30, 25:00) raise ValueError here.
        when = parse_datetime(value)
        if when is None and (day := parse_date(value)) is not None:
            when = dt.datetime.combine(day, dt.time())
    except ValueError as exc:
        raise CommandError(f"{option}: not a valid date or datetime: {value!r} ({exc})") from None
    if when is None:
        raise CommandError(f"{option}: not a date or datetime: {value!r}")
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


class IngestCommand(BaseCommand):
    def add_common_arguments(self, parser) -> None:
        parser.add_argument("path", help="CSV, Parquet or JSON file")
        parser.add_argument(
            "--format", choices=["csv", "parquet", "json"], help="when the extension is not telling"
        )
        parser.add_argument(
            "--skip-invalid", action="store_true", help="write the valid rows, report the rest"
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def run_service(self, service: Callable[..., IngestReport], options: dict, **kwargs) -> IngestReport:
        bar = tqdm(
            total=100, desc="ingest", unit="%", file=sys.stderr, disable=options["no_progress"], leave=False
        )

        def progress(pct: float, message: str) -> None:
            bar.n = int(pct)
            bar.set_postfix_str(message, refresh=True)

        try:
            report = service(
                source=options["path"],
                fmt=options.get("format"),
                skip_invalid=options["skip_invalid"],
                progress=progress,
                **kwargs,
            )
        except IngestRejected as exc:
            self.print_report(exc.report, options)
            raise CommandError(exc.messages[0]) from None
        except ValidationError as exc:
            fields = exc.message_dict if hasattr(exc, "error_dict") else {"error": exc.messages}
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())) from None
        finally:
            bar.close()
        self.print_report(report, options)
        return report

    def print_report(self, report: IngestReport, options: dict) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(report.to_dict(), indent=2))
            return
        self.stdout.write(
            f"{report.kind}: read {report.rows_read}, valid {report.rows_valid}, invalid {report.rows_invalid}, "
            f"written {report.rows_written}" + (f" (interval {report.interval})" if report.interval else "")
        )
        if report.created_instruments:
            self.stdout.write(f"created instruments: {', '.join(report.created_instruments)}")
        for name, group in report.groups.items():
            self.stdout.write(f"  {name}: {group['count']} rows, {group['first']} .. {group['last']}")
        if report.errors:
            self.stdout.write(f"invalid rows (row numbers {report.row_numbering}):")
            for err in report.errors[:SHOWN_ERRORS]:
                self.stdout.write(f"  row {err['row']}, {err['column']}: {err['reason']}")
            if len(report.errors) > SHOWN_ERRORS:
                self.stdout.write(f"  ... {len(report.errors) - SHOWN_ERRORS} more (use --json for all)")
