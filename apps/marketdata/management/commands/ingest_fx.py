"""`manage.py ingest_fx PATH [--base EUR --quote USD]`"""

from apps.marketdata.services import fx_ingest

from ._ingest import IngestCommand


class Command(IngestCommand):
    help = "Load FX rates (base,quote,ts,rate or pair,ts,rate; or ts,rate with --base/--quote)."

    def add_arguments(self, parser) -> None:
        self.add_common_arguments(parser)
        parser.add_argument("--base", help="base currency, when the file has no base/pair column")
        parser.add_argument("--quote", help="quote currency (units of quote per one base)")

    def handle(self, *args, **options) -> None:
        self.run_service(fx_ingest, options, base=options["base"], quote=options["quote"])
