"""`manage.py ingest_bars PATH [--symbol S] [--interval 1d] [--create-instruments] [--skip-invalid]`"""

from apps.marketdata.models import INTERVALS
from apps.marketdata.services import bars_ingest

from ._ingest import IngestCommand


class Command(IngestCommand):
    help = (
        "Load OHLCV bars (Yahoo-style, or long format with a symbol column) from a CSV, Parquet or JSON file."
    )

    def add_arguments(self, parser) -> None:
        self.add_common_arguments(parser)
        parser.add_argument("--symbol", help="the symbol, when the file has no symbol column")
        parser.add_argument("--interval", default="1d", choices=INTERVALS)
        parser.add_argument("--create-instruments", action="store_true", help="create unknown symbols")

    def handle(self, *args, **options) -> None:
        self.run_service(
            bars_ingest,
            options,
            symbol=options["symbol"],
            interval=options["interval"],
            create_instruments=options["create_instruments"],
        )
