"""Reading and checking market-data files before anything is written (the write side is
apps.marketdata.services.ingest; the bulk writes are apps.marketdata.services.storage)."""

from .bars import bars_prepare
from .checks import MAX_REPORTED_ERRORS, RowProblems
from .fundamentals import fundamentals_prepare
from .fx import fx_prepare
from .reading import FORMATS, ROW_NUMBERING, FileFormatError, RawTable, read_table
from .series import series_prepare

__all__ = [
    "FORMATS",
    "MAX_REPORTED_ERRORS",
    "ROW_NUMBERING",
    "FileFormatError",
    "RawTable",
    "RowProblems",
    "bars_prepare",
    "fundamentals_prepare",
    "fx_prepare",
    "read_table",
    "series_prepare",
]
