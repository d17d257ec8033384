"""`manage.py ingest_series PATH [--code C --title T --frequency q --units U --known-at 2024-04-25]`"""

from apps.marketdata.services import series_ingest

from ._ingest import IngestCommand, parse_when


class Command(IngestCommand):
    help = (
        "Load economic series from a FRED-style file (DATE,VALUE or observation_date,<CODE>[,<CODE>...]; "
        "'.' = missing; a realtime_start column gives each value's known-at date)."
    )

    def add_arguments(self, parser) -> None:
        self.add_common_arguments(parser)
        parser.add_argument("--code", help="series code, for a DATE,VALUE file")
        parser.add_argument("--title", default="")
        parser.add_argument("--frequency", default="", help="d, w, m, q, a")
        parser.add_argument("--units", default="")
        parser.add_argument(
            "--known-at", help="when the values became known (ISO date/time, UTC; default now)"
        )

    def handle(self, *args, **options) -> None:
        self.run_service(
            series_ingest,
            options,
            code=options["code"],
            title=options["title"],
            frequency=options["frequency"],
            units=options["units"],
            known_at=parse_when(options["known_at"], "--known-at"),
        )
