"""`manage.py ingest_fundamentals PATH [--symbol S] [--reported-at 2024-05-02] [--create-instruments]`"""

from apps.marketdata.services import fundamentals_ingest

from ._ingest import IngestCommand, parse_when


class Command(IngestCommand):
    help = "Load fundamentals (symbol,field,period,period_end,reported_at,value) from a CSV, Parquet or JSON file."

    def add_arguments(self, parser) -> None:
        self.add_common_arguments(parser)
        parser.add_argument("--symbol", help="the symbol, when the file has no symbol column")
        parser.add_argument(
            "--reported-at", help="for rows without reported_at (ISO date/time, UTC; default now)"
        )
        parser.add_argument("--create-instruments", action="store_true", help="create unknown symbols")

    def handle(self, *args, **options) -> None:
        self.run_service(
            fundamentals_ingest,
            options,
            symbol=options["symbol"],
            reported_at=parse_when(options["reported_at"], "--reported-at"),
            create_instruments=options["create_instruments"],
        )
