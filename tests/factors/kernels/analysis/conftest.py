"""A synthetic factor panel and alphalens-reloaded's view of the same data.

120 business days x 40 names, 3 sectors, prices with a few gaps (and one name whose first prices
are missing), a factor built from the 5-day forward return plus noise (so ICs are clearly
positive), a few NaN factor values, and one date whose factor ties 20 names — pandas qcut cannot
bucket it, so alphalens drops that date from everything.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

HORIZONS = (1, 5, 10)
TIED_DATE = 30


@dataclass(frozen=True)
class Panel:
    dates: pd.DatetimeIndex
    assets: list[str]
    prices: np.ndarray  # (T, N)
    factor: np.ndarray  # (T, N)
    sectors: np.ndarray  # (N,)
    groups: np.ndarray  # (T, N) int64

    def factor_series(self) -> pd.Series:
        s = pd.DataFrame(self.factor, index=self.dates, columns=self.assets).stack(future_stack=True)
        s.index.names = ["date", "asset"]
        return s

    def price_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.prices, index=self.dates, columns=self.assets)

    def sector_map(self) -> dict[str, int]:
        return dict(zip(self.assets, self.sectors.tolist(), strict=True))

    def to_panel(self, series: pd.Series) -> np.ndarray:
        """A long (date, asset) series as a (T, N) panel, NaN where absent."""
        return series.unstack().reindex(index=self.dates, columns=self.assets).to_numpy(dtype=float)

    def by_date(self, frame: pd.DataFrame | pd.Series) -> np.ndarray:
        return frame.reindex(self.dates).to_numpy(dtype=float)


def make_panel(seed: int = 7, t_len: int = 120, n_names: int = 40) -> Panel:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2024-01-01", periods=t_len)
    assets = [f"A{i:02d}" for i in range(n_names)]
    prices = 100 * np.exp(np.cumsum(rng.normal(0.0005, 0.02, (t_len, n_names)), axis=0))
    prices[rng.random((t_len, n_names)) < 0.01] = np.nan
    prices[:3, 5] = np.nan
    fwd5 = np.full((t_len, n_names), np.nan)
    fwd5[:-5] = prices[5:] / prices[:-5] - 1
    factor = np.where(np.isnan(fwd5), 0.0, fwd5) * 3 + rng.normal(0, 0.05, (t_len, n_names))
    factor[rng.random((t_len, n_names)) < 0.03] = np.nan
    factor[TIED_DATE, :20] = 1.0
    sectors = np.arange(n_names) % 3
    return Panel(dates, assets, prices, factor, sectors, np.tile(sectors, (t_len, 1)).astype(np.int64))


def alphalens_factor_data(panel: Panel, **kwargs) -> pd.DataFrame:
    import alphalens.utils as au

    options = dict(
        groupby=panel.sector_map(), quantiles=5, periods=HORIZONS, filter_zscore=None, max_loss=1.0
    )
    options.update(kwargs)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return au.get_clean_factor_and_forward_returns(panel.factor_series(), panel.price_frame(), **options)


@pytest.fixture(scope="session")
def panel() -> Panel:
    return make_panel()


@pytest.fixture(scope="session")
def factor_data(panel) -> pd.DataFrame:
    return alphalens_factor_data(panel)


@pytest.fixture(scope="session")
def fwd_columns(factor_data) -> list[str]:
    import alphalens.utils as au

    return list(au.get_forward_returns_columns(factor_data.columns))
