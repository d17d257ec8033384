"""Data for the optimization kernel tests: skfolio's bundled S&P 500 sample (20 stocks, daily prices
shipped inside the package, so nothing is downloaded), its S&P 500 index and factor ETF series, and
a deterministic simulated market (a factor model with sectors) for the larger problems.

`assert_holds` is the property check every result goes through (checks.py)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from apps.portfolio.kernels.optimization import estimate, returns_from_prices

WINDOW = 504  # two years of daily returns


@dataclass(frozen=True)
class Market:
    names: list[str]
    returns: np.ndarray  # (T, N) daily simple returns
    frame: pd.DataFrame  # the same returns, named columns (what the references take)
    mu: np.ndarray  # annualized arithmetic means
    cov: np.ndarray  # annualized Ledoit-Wolf covariance
    sectors: np.ndarray  # (N,) labels


SP500_SECTORS = {
    "AAPL": "Tech", "AMD": "Tech", "MSFT": "Tech", "BBY": "Consumer", "HD": "Consumer", "WMT": "Consumer",
    "KO": "Staples", "PEP": "Staples", "PG": "Staples", "BAC": "Financials", "JPM": "Financials",
    "CVX": "Energy", "XOM": "Energy", "RRC": "Energy", "GE": "Industrials", "JNJ": "Health",
    "LLY": "Health", "MRK": "Health", "PFE": "Health", "UNH": "Health",
}  # fmt: skip


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.fixture(scope="session")
def sp500_prices() -> pd.DataFrame:
    from skfolio.datasets import load_sp500_dataset

    return load_sp500_dataset().iloc[-(WINDOW + 1) :]


@pytest.fixture(scope="session")
def sp500(sp500_prices) -> Market:
    names = list(sp500_prices.columns)
    r = returns_from_prices(sp500_prices.to_numpy())
    est = estimate(r, expected="mean", covariance="ledoit_wolf")
    sectors = np.array([SP500_SECTORS[n] for n in names])
    return Market(
        names, r, pd.DataFrame(r, index=sp500_prices.index[1:], columns=names), est.mu, est.cov, sectors
    )


@pytest.fixture(scope="session")
def sp500_index(sp500_prices) -> np.ndarray:
    from skfolio.datasets import load_sp500_index

    index = load_sp500_index()["SP500"].reindex(sp500_prices.index)
    return returns_from_prices(index.to_numpy()[:, None])[:, 0]


def simulated_market(n: int, t: int, *, seed: int = 7, n_sectors: int = 10) -> Market:
    """A correlated market: 5 factors, sector-specific drifts, idiosyncratic noise."""
    rng = np.random.default_rng(seed)
    sectors = np.array([f"S{i % n_sectors}" for i in range(n)])
    exposures = rng.normal(0.0, 0.008, (n, 5)) + 0.006 * (np.arange(n) % n_sectors == 0)[:, None]
    factors = rng.normal(0.0, 1.0, (t, 5))
    drift = rng.normal(0.0004, 0.0003, n)
    r = drift + factors @ exposures.T + rng.normal(0.0, 0.012, (t, n)) * rng.uniform(0.6, 1.6, n)
    names = [f"N{i:03d}" for i in range(n)]
    est = estimate(r, expected="mean", covariance="ledoit_wolf")
    return Market(names, r, pd.DataFrame(r, columns=names), est.mu, est.cov, sectors)


@pytest.fixture(scope="session")
def small_market() -> Market:
    return simulated_market(10, 400, seed=11, n_sectors=3)
