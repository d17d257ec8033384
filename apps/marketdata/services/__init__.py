"""Write operations of the market-data engine, one module per resource: instruments, ingest (file
loads), storage/ (bulk upserts), uploads (files on their way to a worker) and feeds/ (live and replay
feed sessions and their runner). Import the common ones from here."""

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
