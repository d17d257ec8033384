"""bars_ingest: real Yahoo-style data shipped by `arch`, every validation rule with its row report,
idempotent reloads, skip_invalid, unknown symbols and the per-symbol summary events."""

from __future__ import annotations

import datetime as dt
import json

import arch.data.nasdaq
import arch.data.sp500
import pandas as pd
import pytest
from django.core.exceptions import ValidationError

from apps.marketdata.models import Bar, Instrument
from apps.marketdata.services import IngestRejected, bars_ingest, instrument_create
from apps.platform import bus

pytestmark = pytest.mark.django_db

SMALL_CSV = b"""Date,Open,High,Low,Close,Adj Close,Volume
2024-01-02,100,101,99,100.5,100.4,1000
2024-01-03,100.5,102,100,101.5,101.4,1100
2024-01-04,101.5,103,101,102.5,102.4,1200
"""


@pytest.fixture(scope="module")
def sp500() -> pd.DataFrame:
    return arch.data.sp500.load()


def closes(symbol: str) -> pd.Series:
    rows = (
        Bar.objects.filter(instrument__symbol=symbol, interval="1d").order_by("ts").values_list("ts", "close")
    )
    return pd.Series({ts: c for ts, c in rows})


def test_sp500_csv_loads_with_counts_dates_and_values_of_the_source(tmp_path, sp500):
    path = tmp_path / "sp500.csv"
    sp500.to_csv(path)  # Date,Open,High,Low,Close,Adj Close,Volume
    instrument_create(symbol="SPX")
    report = bars_ingest(source=path, symbol="spx")
    assert (report.rows_read, report.rows_invalid, report.rows_written) == (5031, 0, 5031)
    assert report.groups["SPX"] == {
        "count": 5031,
        "first": "1999-01-04T00:00:00Z",
        "last": "2018-12-31T00:00:00Z",
    }
    bars = Bar.objects.filter(instrument__symbol="SPX")
    assert bars.count() == 5031
    first = bars.order_by("ts").first()
    assert first.ts == dt.datetime(1999, 1, 4, tzinfo=dt.UTC)
    assert first.open == pytest.approx(1229.22998, rel=1e-9)
    assert first.high == pytest.approx(1248.810059, rel=1e-9)
    assert first.volume == 877_000_000
    last = bars.order_by("ts").last()
    assert last.close == pytest.approx(sp500["Close"].iloc[-1], rel=1e-12)
    assert last.adj_close == pytest.approx(sp500["Adj Close"].iloc[-1], rel=1e-12)
    stored = closes("SPX")
    assert stored.to_numpy() == pytest.approx(sp500["Close"].to_numpy(), rel=1e-12)


def test_long_parquet_with_two_symbols_and_created_instruments(tmp_path, sp500):
    nasdaq = arch.data.nasdaq.load()
    long = pd.concat([sp500.assign(Symbol="SPX"), nasdaq.assign(Symbol="NDX")]).reset_index()
    path = tmp_path / "indices.parquet"
    long.to_parquet(path)
    with pytest.raises(ValidationError) as err:
        bars_ingest(source=path)
    assert err.value.message_dict["symbol"] == [
        "unknown symbol(s): NDX, SPX; create them first or pass create_instruments"
    ]
    assert not Bar.objects.exists()
    report = bars_ingest(source=path, create_instruments=True)
    assert report.created_instruments == ["NDX", "SPX"]
    assert set(Instrument.objects.values_list("symbol", flat=True)) == {"NDX", "SPX"}
    assert report.groups["NDX"]["count"] == 5031 and report.rows_written == 10062
    ndx = closes("NDX")
    assert ndx.iloc[0] == pytest.approx(nasdaq["Close"].iloc[0]) and len(ndx) == 5031


def test_json_records_load(instruments):
    records = [
        {"timestamp": "2024-01-02T14:30:00Z", "open": 1, "high": 2, "low": 0.5, "close": 1.5, "volume": 10},
        {"timestamp": "2024-01-02T14:31:00Z", "open": 1.5, "high": 2, "low": 1, "close": 1.8, "volume": 0},
    ]
    report = bars_ingest(source=json.dumps(records).encode(), symbol="AAPL", interval="1m")
    assert report.rows_written == 2
    assert Bar.objects.get(interval="1m", ts=dt.datetime(2024, 1, 2, 14, 31, tzinfo=dt.UTC)).close == 1.8


def test_reloading_is_idempotent_and_a_corrected_file_updates(instruments):
    bars_ingest(source=SMALL_CSV, symbol="AAPL")
    bars_ingest(source=SMALL_CSV, symbol="AAPL")
    assert Bar.objects.count() == 3
    corrected = SMALL_CSV.replace(b"101.5,101.4,1100", b"101.7,101.6,1100")
    bars_ingest(source=corrected, symbol="AAPL")
    assert Bar.objects.count() == 3
    assert Bar.objects.get(ts=dt.datetime(2024, 1, 3, tzinfo=dt.UTC)).close == 101.7


BAD_CSV = b"""Date,Open,High,Low,Close,Volume
2024-01-02,100,101,99,100.5,1000
2024-01-03,100,99.5,98,100.5,1000
2024-01-04,100,101,100.2,100.5,1000
2024-01-05,100,101,99,100.5,-5
2024-01-08,abc,101,99,100.5,1000
2024-01-09,100,101,99,inf,1000
not-a-date,100,101,99,100.5,1000
2024-01-02,100,101,99,100.5,1000
2024-01-10,,101,99,100.5,1000
2024-01-11,100,101,99,100.5,1000
"""


def test_every_rule_is_reported_with_row_column_reason_and_nothing_is_written(instruments):
    with pytest.raises(IngestRejected) as err:
        bars_ingest(source=BAD_CSV, symbol="AAPL")
    report = err.value.report
    assert (report.rows_read, report.rows_invalid, report.rows_valid) == (10, 8, 2)
    got = [(e["row"], e["column"]) for e in report.errors]
    assert got == [
        (3, "high"),  # header is row 1, so the second data line is row 3
        (4, "low"),
        (5, "volume"),
        (6, "open"),
        (7, "close"),
        (8, "ts"),
        (9, "ts"),
        (10, "open"),
    ]
    reasons = {e["row"]: e["reason"] for e in report.errors}
    assert reasons[3] == "high 99.5 is below max(open, close) 100.5"
    assert reasons[4] == "low 100.2 is above min(open, close) 100.0"
    assert reasons[5] == "negative volume -5.0"
    assert reasons[6] == "not a number: abc"
    assert reasons[7] == "not a finite number"
    assert reasons[8] == "unparseable timestamp: not-a-date"
    assert reasons[9] == "duplicate timestamp for this symbol (first at row 2)"
    assert reasons[10] == "missing value"
    assert "1-based" in report.row_numbering
    assert err.value.message_dict == {"file": ["8 invalid row(s) of 10; nothing written"]}
    assert err.value.detail()["report"]["errors"][0] == {"row": 3, "column": "high", "reason": reasons[3]}
    assert not Bar.objects.exists()


def test_skip_invalid_writes_the_good_rows_and_reports_the_rest(instruments):
    report = bars_ingest(source=BAD_CSV, symbol="AAPL", skip_invalid=True)
    assert (report.rows_written, report.rows_invalid, len(report.errors)) == (2, 8, 8)
    assert sorted(Bar.objects.values_list("ts", flat=True)) == [
        dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 11, tzinfo=dt.UTC),
    ]


def test_duplicates_are_per_symbol_in_long_files(instruments):
    csv = b"symbol,date,open,high,low,close\nAAPL,2024-01-02,1,1,1,1\nMSFT,2024-01-02,1,1,1,1\naapl,2024-01-02,1,1,1,1\n"
    with pytest.raises(IngestRejected) as err:
        bars_ingest(source=csv)
    assert err.value.report.errors == [
        {"row": 4, "column": "ts", "reason": "duplicate timestamp for this symbol (first at row 2)"}
    ]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"source": SMALL_CSV}, "symbol", "the file has no symbol column: give the symbol"),
        ({"source": SMALL_CSV, "symbol": "AAPL", "interval": "7d"}, "interval", "unknown interval '7d'"),
        (
            {"source": b"Date,Open\n2024-01-02,1\n", "symbol": "AAPL"},
            "file",
            "missing column(s): high, low, close",
        ),
        ({"source": b"", "symbol": "AAPL"}, "file", "the file is empty"),
        ({"source": b"PAR1garbage", "symbol": "AAPL"}, "file", "cannot read the file as parquet"),
    ],
)
def test_structural_problems_are_field_errors(instruments, kwargs, field, message):
    with pytest.raises(ValidationError) as err:
        bars_ingest(**kwargs)
    assert message in err.value.message_dict[field][0]


def test_one_summary_event_per_symbol_per_load(fresh_bus, instruments, django_capture_on_commit_callbacks):
    csv = b"symbol,date,open,high,low,close\n" + b"".join(
        f"{s},2024-01-{d:02d},1,1,1,1\n".encode() for s in ("AAPL", "MSFT") for d in range(2, 12)
    )
    with django_capture_on_commit_callbacks(execute=True):
        bars_ingest(source=csv)
    events = list(bus.subscribe("market.data.bars.#", last_id="0", follow=False))
    assert sorted(e.topic for e in events) == ["market.data.bars.AAPL", "market.data.bars.MSFT"]
    aapl = next(e for e in events if e.topic.endswith("AAPL")).payload
    assert aapl == {
        "symbol": "AAPL",
        "interval": "1d",
        "source": "ingest",
        "count": 10,
        "first": "2024-01-02T00:00:00Z",
        "last": "2024-01-11T00:00:00Z",
    }


def test_a_rejected_file_publishes_nothing(fresh_bus, instruments, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(IngestRejected):
        bars_ingest(source=BAD_CSV, symbol="AAPL")
    assert list(bus.subscribe("market.data.bars.#", last_id="0", follow=False)) == []
