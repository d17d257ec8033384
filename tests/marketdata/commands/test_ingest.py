"""ingest_* management commands on real data: arch's S&P 500 / NASDAQ and statsmodels' US macro."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import arch.data.nasdaq
import arch.data.sp500
import pandas as pd
import pytest
import statsmodels.api as sm
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.marketdata.models import Bar, EconomicSeries, Fundamental, FxRate, Instrument, SeriesObservation

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, "--no-progress", stdout=out)
    return out.getvalue()


def test_ingest_bars_sp500_csv_then_reload_is_idempotent(tmp_path):
    sp500 = arch.data.sp500.load()
    path = tmp_path / "sp500.csv"
    sp500.to_csv(path)
    out = run("ingest_bars", str(path), "--symbol", "SPX", "--create-instruments")
    assert "bars: read 5031, valid 5031, invalid 0, written 5031 (interval 1d)" in out
    assert "SPX: 5031 rows, 1999-01-04T00:00:00Z .. 2018-12-31T00:00:00Z" in out
    run("ingest_bars", str(path), "--symbol", "SPX")
    assert Bar.objects.count() == 5031
    day = Bar.objects.get(instrument__symbol="SPX", ts=dt.datetime(2008, 10, 13, tzinfo=dt.UTC))
    src = sp500.loc["2008-10-13"]
    assert (day.open, day.close, day.volume) == (
        pytest.approx(src["Open"]),
        pytest.approx(src["Close"]),
        src["Volume"],
    )


def test_ingest_bars_nasdaq_parquet_json_report(tmp_path):
    nasdaq = arch.data.nasdaq.load()
    path = tmp_path / "ndx.parquet"
    nasdaq.to_parquet(path)
    report = json.loads(run("ingest_bars", str(path), "--symbol", "NDX", "--create-instruments", "--json"))
    assert report["rows_written"] == 5031 and report["groups"]["NDX"]["last"] == "2018-12-31T00:00:00Z"
    stored = Bar.objects.filter(instrument__symbol="NDX").order_by("-ts").values_list("adj_close", flat=True)
    assert stored[0] == pytest.approx(nasdaq["Adj Close"].iloc[-1])


def test_ingest_bars_errors_print_the_row_report(tmp_path):
    Instrument.objects.create(symbol="AAPL")
    path = tmp_path / "bad.csv"
    path.write_text("Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1\n2024-01-03,1,0.9,0.5,1\n")
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 invalid row\(s\) of 2; nothing written"):
        call_command("ingest_bars", str(path), "--symbol", "AAPL", "--no-progress", stdout=out)
    assert "row 3, high: high 0.9 is below max(open, close) 1.0" in out.getvalue()
    with pytest.raises(CommandError, match="symbol: unknown symbol"):
        call_command(
            "ingest_bars", str(path), "--symbol", "NOPE", "--skip-invalid", "--no-progress", stdout=out
        )
    assert not Bar.objects.exists()


def test_ingest_series_statsmodels_macrodata_wide(tmp_path):
    macro = sm.datasets.macrodata.load_pandas().data
    dates = pd.PeriodIndex.from_fields(
        year=macro["year"].astype(int), quarter=macro["quarter"].astype(int), freq="Q"
    )
    frame = pd.DataFrame({"observation_date": dates.to_timestamp().strftime("%Y-%m-%d")})
    frame[["realgdp", "unemp", "infl"]] = macro[["realgdp", "unemp", "infl"]]
    path = tmp_path / "macro.csv"
    frame.to_csv(path, index=False)
    out = run("ingest_series", str(path), "--frequency", "q", "--known-at", "2010-01-01")
    assert "series: read 203, valid 203, invalid 0, written 609" in out
    assert set(EconomicSeries.objects.values_list("code", flat=True)) == {"REALGDP", "UNEMP", "INFL"}
    assert EconomicSeries.objects.get(code="UNEMP").frequency == "q"
    gdp = SeriesObservation.objects.filter(series__code="REALGDP").order_by("date")
    assert gdp.count() == 203
    assert (gdp.first().date, gdp.first().value) == (dt.date(1959, 1, 1), 2710.349)
    assert (gdp.last().date, gdp.last().value) == (
        dt.date(2009, 7, 1),
        pytest.approx(macro["realgdp"].iloc[-1]),
    )
    assert gdp.first().known_at == dt.datetime(2010, 1, 1, tzinfo=dt.UTC)
    unemp = dict(SeriesObservation.objects.filter(series__code="UNEMP").values_list("date", "value"))
    assert unemp[dt.date(1959, 4, 1)] == 5.1 and unemp[dt.date(2009, 7, 1)] == pytest.approx(
        macro["unemp"].iloc[-1]
    )


def test_ingest_series_fred_single_column_with_code(tmp_path):
    path = tmp_path / "gdp.csv"
    path.write_text("DATE,VALUE\n2023-10-01,22.67\n2024-01-01,.\n")
    run("ingest_series", str(path), "--code", "gdpc1", "--title", "Real GDP", "--units", "bn 2017 USD")
    series = EconomicSeries.objects.get(code="GDPC1")
    assert (series.title, series.units) == ("Real GDP", "bn 2017 USD")
    assert list(series.observations.order_by("date").values_list("value", flat=True)) == [22.67, None]
    with pytest.raises(CommandError, match="code: the file has a single VALUE column"):
        run("ingest_series", str(path))


def test_ingest_fundamentals_and_fx(tmp_path):
    fund = tmp_path / "f.csv"
    fund.write_text(
        "symbol,field,period,period_end,reported_at,value\n"
        "AAPL,eps,Q1,2024-03-30,2024-05-02T20:30:00Z,1.53\n"
        "AAPL,revenue,Q1,2024-03-30,2024-05-02T20:30:00Z,90753000000\n"
    )
    out = run("ingest_fundamentals", str(fund), "--create-instruments")
    assert "written 2" in out and "created instruments: AAPL" in out
    eps = Fundamental.objects.get(field="eps")
    assert (eps.value, eps.period, eps.reported_at) == (
        1.53,
        "Q1",
        dt.datetime(2024, 5, 2, 20, 30, tzinfo=dt.UTC),
    )
    fx = tmp_path / "eurusd.csv"
    fx.write_text("date,rate\n2024-01-02,1.0945\n2024-01-03,1.0920\n")
    run("ingest_fx", str(fx), "--base", "EUR", "--quote", "USD")
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("pair,date,rate\nEUR/USD,2024-01-03,1.0921\nGBPUSD,2024-01-03,1.2620\n")
    run("ingest_fx", str(pairs))
    assert FxRate.objects.count() == 3
    assert (
        FxRate.objects.get(base="EUR", ts=dt.datetime(2024, 1, 3, tzinfo=dt.UTC)).rate == 1.0921
    )  # corrected
    bad = tmp_path / "bad_fx.csv"
    bad.write_text("base,quote,date,rate\nEUR,EUR,2024-01-02,1\nEU,USD,2024-01-02,1\nUSD,JPY,2024-01-02,-3\n")
    out = StringIO()
    with pytest.raises(CommandError, match="3 invalid"):
        call_command("ingest_fx", str(bad), "--no-progress", stdout=out)
    text = out.getvalue()
    assert "row 2, quote: base and quote are the same" in text
    assert "row 3, base: not a 3-letter currency code: EU" in text
    assert "row 4, rate: a rate must be positive" in text


def test_an_impossible_date_in_the_file_is_a_row_error_not_a_traceback(tmp_path):
    Instrument.objects.create(symbol="AAPL")
    path = tmp_path / "bad_day.csv"
    path.write_text("Date,Open,High,Low,Close\n2024-02-29,1,2,0.5,1\n2024-02-30,1,2,0.5,1\n")
    out = StringIO()
    with pytest.raises(CommandError, match="1 invalid row"):
        call_command("ingest_bars", str(path), "--symbol", "AAPL", "--no-progress", stdout=out)
    assert "row 3, ts: unparseable timestamp: 2024-02-30" in out.getvalue()
    assert Bar.objects.count() == 0


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        ("ingest_series", "--known-at", "2024-02-30"),
        ("ingest_series", "--known-at", "2024-02-30T10:00"),
        ("ingest_fundamentals", "--reported-at", "2023-13-01"),
    ],
)
def test_an_impossible_date_option_is_a_clear_error_and_a_non_zero_exit(tmp_path, command, option, value):
    path = tmp_path / "any.csv"
    path.write_text("date,value\n2024-02-01,1.5\n")
    with pytest.raises(CommandError, match=f"{option}: not a valid date or datetime") as caught:
        call_command(command, str(path), option, value, "--no-progress", stdout=StringIO())
    assert caught.value.returncode != 0  # manage.py exits with it
