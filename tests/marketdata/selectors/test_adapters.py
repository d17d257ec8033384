"""Source adapters: the registry, the offline file adapter on real data, network stubs that refuse."""

from __future__ import annotations

import arch.data.sp500
import pandas as pd
import pytest

from apps.marketdata.selectors.adapters import (
    AdapterError,
    AdapterUnavailable,
    adapter_names,
    get_adapter,
    register,
    registry,
)
from apps.marketdata.selectors.adapters.base import BAR_COLUMNS, SourceAdapter


@pytest.fixture
def data_dir(tmp_path):
    sp500 = arch.data.sp500.load()
    sp500.to_csv(tmp_path / "spx.csv")
    sp500.iloc[:10].to_parquet(tmp_path / "SPX10.parquet")
    (tmp_path / "series").mkdir()
    (tmp_path / "series" / "UNRATE.csv").write_text("observation_date,UNRATE\n2024-01-01,3.7\n2024-02-01,.\n")
    (tmp_path / "bad.csv").write_text("Date,Open,High,Low,Close\n2024-01-02,1,0.5,0.4,1\n")
    (tmp_path / "notes.txt.bak").write_text("ignored")
    return tmp_path


def test_registry_lists_offline_and_network_adapters():
    assert {"files", "simulated", "yahoo", "fred", "alphavantage", "ibkr"} <= set(adapter_names())
    with pytest.raises(AdapterError, match="unknown adapter 'nope'"):
        get_adapter("nope")
    assert get_adapter("simulated", seed=3).list_symbols()  # helper MB's adapter, found by name


def test_file_adapter_lists_symbols_and_fetches_a_window_of_bars(data_dir):
    adapter = get_adapter("files", root=data_dir)
    assert isinstance(adapter, SourceAdapter)
    assert adapter.list_symbols() == ["BAD", "SPX", "SPX10"]
    bars = adapter.fetch_bars("spx", "1d", "2008-10-01", "2008-10-31")
    sp500 = arch.data.sp500.load().loc["2008-10-01":"2008-10-31"]
    assert list(bars.columns) == BAR_COLUMNS and len(bars) == len(sp500) == 23
    assert bars["close"].to_numpy() == pytest.approx(sp500["Close"].to_numpy())
    assert bars["ts"].iloc[0] == pd.Timestamp("2008-10-01", tz="UTC")
    assert len(adapter.fetch_bars("SPX10", "1d")) == 10


def test_file_adapter_refuses_invalid_files_and_unknown_symbols(data_dir):
    adapter = get_adapter("files", root=data_dir)
    with pytest.raises(AdapterError, match="1 invalid row"):
        adapter.fetch_bars("BAD", "1d")
    with pytest.raises(AdapterError, match="no file for symbol 'MSFT'"):
        adapter.fetch_bars("MSFT", "1d")
    with pytest.raises(AdapterError, match="no such directory"):
        get_adapter("files", root=data_dir / "missing")


def test_file_adapter_series(data_dir):
    series = get_adapter("files", root=data_dir).fetch_series("unrate")
    assert list(series.columns) == ["date", "value"]
    assert series["value"].iloc[0] == 3.7 and pd.isna(series["value"].iloc[1])


@pytest.mark.parametrize("name", ["yahoo", "fred", "alphavantage", "ibkr"])
def test_network_adapters_refuse_clearly_without_touching_the_network(name):
    adapter = get_adapter(name)
    for call in (
        adapter.list_symbols,
        lambda: adapter.fetch_bars("AAPL", "1d"),
        lambda: adapter.fetch_series("X"),
    ):
        with pytest.raises(AdapterUnavailable, match=f"the {name} adapter is an optional plug-in"):
            call()


def test_a_registered_plugin_is_found_by_name():
    class Fixed:
        name = "fixed"

        def list_symbols(self):
            return ["X"]

        def fetch_bars(self, symbol, interval, start=None, end=None):
            return pd.DataFrame(columns=BAR_COLUMNS)

        def fetch_series(self, code, start=None, end=None):
            return pd.DataFrame(columns=["date", "value"])

    register("fixed", Fixed)
    try:
        assert "fixed" in adapter_names() and get_adapter("fixed").list_symbols() == ["X"]
    finally:
        registry._registered.pop("fixed")
