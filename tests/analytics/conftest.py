"""Shared fixtures for the analytics tests: real index returns from the data `arch` ships."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def index_returns() -> pd.DataFrame:
    """Daily returns 1999-2018 of the S&P 500 and the NASDAQ (adjusted closes), and a 60/40 blend of
    them rebalanced daily: three real, correlated return series on one calendar."""
    from arch.data import nasdaq, sp500

    closes = pd.concat(
        [sp500.load()["Adj Close"], nasdaq.load()["Adj Close"]], axis=1, keys=["sp500", "nasdaq"]
    ).dropna()
    frame = closes.pct_change().dropna()
    frame["blend"] = 0.6 * frame["sp500"] + 0.4 * frame["nasdaq"]
    return frame
