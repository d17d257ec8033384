"""The binary COPY codec: rows encode to PostgreSQL's format (checked by PostgreSQL itself in the
store's tests) and a selection decodes back to the same numbers, NaN included."""

from __future__ import annotations

import numpy as np
import pytest

from apps.features.kernels.copy_binary import (
    HEADER,
    PG_EPOCH_US,
    TRAILER,
    entities_encode,
    rows_dtype,
    rows_encode,
    selection_decode,
    selection_dtype,
    ts_from_pg,
    ts_to_pg,
)


def test_timestamps_count_microseconds_from_2000():
    ts = np.array(["2000-01-01T00:00:00", "2024-03-05T12:00:00.000001"], dtype="datetime64[ns]")
    pg = ts_to_pg(ts.astype(np.int64))
    assert pg[0] == 0
    assert pg[1] == (ts[1] - ts[0]) // np.timedelta64(1, "us")
    np.testing.assert_array_equal(ts_from_pg(pg), ts)
    assert PG_EPOCH_US == 946_684_800 * 10**6


def test_a_row_is_the_documented_bytes():
    payload = rows_encode(7, np.array([3]), np.array([0], dtype=np.int64), np.array([[1.5, np.nan]]))
    body = payload[len(HEADER) : -len(TRAILER)]
    assert len(body) == rows_dtype(2).itemsize == 2 + 8 + 8 + 12 + 24 + 2 * 12
    assert body[:2] == b"\x00\x04"  # four fields
    assert body[2:10] == b"\x00\x00\x00\x04\x00\x00\x00\x07"  # block id 7
    assert body[30:34] == (20 + 24).to_bytes(4, "big")  # the array's byte length
    assert body[42:46] == (701).to_bytes(4, "big")  # float8
    assert np.frombuffer(body[58:66], dtype=">f8")[0] == 1.5  # after its 4-byte length
    assert np.isnan(np.frombuffer(body[70:78], dtype=">f8")[0])


def test_selection_decodes_what_was_encoded():
    width, n = 3, 5
    rec = np.zeros(n, dtype=selection_dtype(width))
    rec["nfields"], rec["instrument_len"], rec["ts_len"] = 2 + width, 4, 8
    rec["instrument"] = np.arange(n) + 10
    rec["ts"] = np.arange(n) * 86_400_000_000
    rec["values"]["len"] = 8
    values = np.arange(n * width, dtype=float).reshape(n, width)
    values[1, 2] = np.nan
    rec["values"]["value"] = values
    ids, ts, got = selection_decode(HEADER + rec.tobytes() + TRAILER, width)
    np.testing.assert_array_equal(ids, np.arange(n) + 10)
    assert str(ts[1]) == "2000-01-02T00:00:00.000000000"
    np.testing.assert_array_equal(got, values)


def test_a_null_in_a_selection_is_refused():
    rec = np.zeros(1, dtype=selection_dtype(1))
    rec["values"]["len"] = -1
    with pytest.raises(ValueError, match="NULL"):
        selection_decode(HEADER + rec.tobytes() + TRAILER, 1)


def test_an_entity_row_is_the_documented_bytes():
    ts = np.array(["2000-01-02T00:00:00.000001", "1999-12-31T00:00:00"], dtype="datetime64[ns]")
    payload = entities_encode(np.array([0, 70000]), np.array([5, 6]), ts.astype(np.int64))
    assert payload.startswith(HEADER) and payload.endswith(TRAILER)
    body = payload[len(HEADER) : -len(TRAILER)]
    assert len(body) == 2 * (2 + 8 + 8 + 12)
    first, second = body[:30], body[30:]
    assert first[:2] == b"\x00\x03"  # three fields
    assert first[2:10] == b"\x00\x00\x00\x04\x00\x00\x00\x00"  # row 0
    assert first[10:18] == b"\x00\x00\x00\x04\x00\x00\x00\x05"  # instrument 5
    assert first[18:22] == b"\x00\x00\x00\x08"
    assert int.from_bytes(first[22:30], "big", signed=True) == 86_400_000_001  # µs after 2000-01-01
    assert int.from_bytes(second[6:10], "big") == 70000
    assert int.from_bytes(second[22:30], "big", signed=True) == -86_400_000_000  # before 2000: negative
