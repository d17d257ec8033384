"""Read an uploaded or local file (CSV, Parquet, JSON) into a raw frame, plus the row numbers that
the row report uses.

Row numbers are 1-based and count the file's own lines: in a CSV the header is row 1, so the first
data record is row 2 (what a spreadsheet shows); Parquet and JSON have no header line, so their
first record is row 1.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

FORMATS = ("csv", "parquet", "json")
ROW_NUMBERING = "1-based; in CSV files the header is row 1 (first data row is 2); in Parquet/JSON the first record is row 1"
_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
               ".json": "json", ".jsonl": "json", ".ndjson": "json"}  # fmt: skip


class FileFormatError(ValueError):
    """The file cannot be read as any supported format."""


@dataclass(frozen=True)
class RawTable:
    frame: pd.DataFrame  # columns normalized (lower case, underscores), values as read
    rows: pd.Series  # file row number of each record (see module doc)
    fmt: str


Source = str | Path | bytes | IO[bytes]


def detect_format(data: bytes, name: str = "") -> str:
    ext = Path(name).suffix.lower() if name else ""
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if data[:4] == b"PAR1":
        return "parquet"
    if data.lstrip()[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def _bytes_of(source: Source) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, ""
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise FileFormatError(f"no such file: {path}")
        return path.read_bytes(), path.name
    return source.read(), str(getattr(source, "name", "") or "")


def normalize_column(name: object) -> str:
    return re.sub(r"[\s\-./]+", "_", str(name).strip().lower()).strip("_")


def read_table(source: Source, *, fmt: str | None = None, name: str = "") -> RawTable:
    data, found_name = _bytes_of(source)
    fmt = fmt or detect_format(data, name or found_name)
    if fmt not in FORMATS:
        raise FileFormatError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not data.strip():
        raise FileFormatError("the file is empty")
    try:
        frame = _READERS[fmt](data)
    except FileFormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - every parser error is the same answer: unreadable file
        raise FileFormatError(f"cannot read the file as {fmt}: {exc}") from None
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()  # Parquet written from a Date-indexed frame keeps it as the index
    frame = frame.reset_index(drop=True)
    frame.columns = [normalize_column(c) for c in frame.columns]
    if frame.columns.duplicated().any():
        dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise FileFormatError(f"repeated column(s): {', '.join(dupes)}")
    first = 2 if fmt == "csv" else 1
    return RawTable(frame=frame, rows=pd.Series(frame.index + first, index=frame.index), fmt=fmt)


def _read_csv(data: bytes) -> pd.DataFrame:
    header = data.split(b"\n", 1)[0]
    sep = "\t" if b"\t" in header and b"," not in header else ","
    # Everything as text: the validator tells "missing" from "not a number" and says which.
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, sep=sep)


def _read_parquet(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))


def _read_json(data: bytes) -> pd.DataFrame:
    text = data.decode("utf-8-sig").strip()
    if text.startswith("{") and "\n{" in text:  # JSON lines
        return pd.DataFrame([json.loads(line) for line in text.splitlines() if line.strip()])
    doc = json.loads(text)
    if isinstance(doc, dict):
        records = next(
            (doc[k] for k in ("data", "rows", "bars", "records", "observations") if k in doc), None
        )
        if not isinstance(records, list):
            raise FileFormatError(
                "a JSON object must hold its records under data, rows, bars or observations"
            )
        doc = records
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise FileFormatError("JSON must be a list of records (objects)")
    return pd.DataFrame(doc)


_READERS = {"csv": _read_csv, "parquet": _read_parquet, "json": _read_json}
