"""The file adapter (offline): a directory of Yahoo-style bar files and FRED-style series files.

    <root>/<SYMBOL>.csv|.parquet|.json          bars of one symbol (Date,Open,High,Low,Close,...)
    <root>/series/<CODE>.csv|.parquet|.json     one economic series (DATE,VALUE or observation_date,CODE)

Files go through the same reading and checks as uploads; a file with invalid rows is an error.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from django.core.exceptions import ValidationError

from ..ingest.bars import bars_prepare
from ..ingest.reading import _EXTENSIONS, FileFormatError, read_table
from ..ingest.series import series_prepare
from .base import BAR_COLUMNS, SERIES_COLUMNS, AdapterError, utc_bounds


class FileAdapter:
    name = "files"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise AdapterError(f"no such directory: {self.root}")

    def _files(self, folder: Path) -> dict[str, Path]:
        if not folder.is_dir():
            return {}
        return {p.stem.upper(): p for p in sorted(folder.iterdir()) if p.suffix.lower() in _EXTENSIONS}

    def list_symbols(self) -> list[str]:
        return sorted(self._files(self.root))

    def _path(self, folder: Path, key: str, what: str) -> Path:
        path = self._files(folder).get(key.strip().upper())
        if path is None:
            raise AdapterError(f"no file for {what} {key!r} in {folder}")
        return path

    def fetch_bars(self, symbol: str, interval: str, start=None, end=None) -> pd.DataFrame:
        """`interval` is what the file holds; the adapter does not resample."""
        path = self._path(self.root, symbol, "symbol")
        try:
            prepared = bars_prepare(read_table(path), symbol=symbol)
        except (FileFormatError, ValidationError) as exc:
            raise AdapterError(f"{path.name}: {exc}") from None
        if prepared.problems.count:
            first = prepared.problems.errors(limit=3)
            raise AdapterError(f"{path.name}: {prepared.problems.count} invalid row(s), e.g. {first}")
        frame = prepared.frame[BAR_COLUMNS].sort_values("ts")
        lo, hi = utc_bounds(start, end)
        if lo is not None:
            frame = frame[frame["ts"] >= lo]
        if hi is not None:
            frame = frame[frame["ts"] <= hi]
        return frame.reset_index(drop=True)

    def fetch_series(self, code: str, start=None, end=None) -> pd.DataFrame:
        path = self._path(self.root / "series", code, "series")
        try:
            prepared = series_prepare(read_table(path), code=None, known_at=dt.datetime.now(dt.UTC))
        except (FileFormatError, ValidationError) as exc:
            raise AdapterError(f"{path.name}: {exc}") from None
        if prepared.problems.count:
            raise AdapterError(f"{path.name}: {prepared.problems.count} invalid row(s)")
        frame = prepared.frame
        if frame["code"].nunique() > 1:
            frame = frame[frame["code"] == code.strip().upper()]
        frame = frame[SERIES_COLUMNS].sort_values("date")
        if start is not None:
            frame = frame[frame["date"] >= pd.Timestamp(start)]
        if end is not None:
            frame = frame[frame["date"] <= pd.Timestamp(end)]
        return frame.reset_index(drop=True)
