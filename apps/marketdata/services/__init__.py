"""Write operations of the market-data engine, one module per area; import them from here."""

from .ingest import IngestRejected, IngestReport, bars_ingest, fundamentals_ingest, fx_ingest, series_ingest
from .instruments import instrument_create, instrument_update, instrument_upsert

__all__ = [
    "IngestRejected",
    "IngestReport",
    "bars_ingest",
    "fundamentals_ingest",
    "fx_ingest",
    "instrument_create",
    "instrument_update",
    "instrument_upsert",
    "series_ingest",
]
