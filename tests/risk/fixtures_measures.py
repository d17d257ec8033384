"""A small deterministic market for the risk-measure, stress and report tests.

Four instruments with 300 daily closes from START (calendar days), driven by one market factor:
  MKT  USD  sector "Index"   the factor itself
  AAA  USD  sector "Tech"    1.5 × MKT + noise
  BBB  USD  sector "Energy"  0.5 × MKT + noise (held short)
  EEE  EUR  sector "Tech"    0.8 × MKT + noise (a foreign-currency instrument)
EURUSD moves from 1.05 to 1.15 over the same days. Portfolio `pf` (owner `user`) holds AAA 100,
BBB -50, EEE 200 and 10,000 USD cash; `empty_pf` holds nothing.

`market` returns the closes and FX the tests recompute everything from, independently of the
services: values = quantity × last close × last EURUSD for EEE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from tests.risk.conftest import make_instrument, make_portfolio, store_daily_bars, store_fx

DAYS = 300
HOLDINGS = {"AAA": 100.0, "BBB": -50.0, "EEE": 200.0}
CASH = 10_000.0
SPECS = {  # symbol: (currency, sector, beta, idiosyncratic vol)
    "MKT": ("USD", "Index", 1.0, 0.0),
    "AAA": ("USD", "Tech", 1.5, 0.008),
    "BBB": ("USD", "Energy", 0.5, 0.012),
    "EEE": ("EUR", "Tech", 0.8, 0.010),
}


@dataclass(frozen=True)
class Market:
    closes: pd.DataFrame  # DAYS × symbols
    eurusd: pd.Series  # DAYS
    portfolio: object

    def fx(self, symbol: str) -> float:
        return float(self.eurusd.iloc[-1]) if SPECS[symbol][0] == "EUR" else 1.0

    @property
    def symbols(self) -> list[str]:
        return list(HOLDINGS)

    @property
    def values(self) -> np.ndarray:
        """Signed market value in USD of each held position, in HOLDINGS order."""
        return np.array([HOLDINGS[s] * self.closes[s].iloc[-1] * self.fx(s) for s in self.symbols])

    @property
    def nav(self) -> float:
        return float(self.values.sum() + CASH)

    def returns(self, window: int = 250) -> np.ndarray:
        """(window, N) daily simple returns of the held instruments, the last `window` days."""
        closes = self.closes[self.symbols].to_numpy()
        r = closes[1:] / closes[:-1] - 1.0
        return r[-window:]


def simulated_closes(days: int = DAYS, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # Student-t market returns: fat tails, so Cornish-Fisher differs from normal.
    mkt = 0.0003 + 0.01 * rng.standard_t(4, size=days - 1) / np.sqrt(2.0)
    out = {}
    for sym, (_ccy, _sector, beta, vol) in SPECS.items():
        r = beta * mkt + vol * rng.standard_normal(days - 1)
        out[sym] = 100.0 * np.concatenate([[1.0], np.cumprod(1.0 + r)])
    return pd.DataFrame(out)


@pytest.fixture
def market(user) -> Market:
    closes = simulated_closes()
    for sym, (ccy, sector, _beta, _vol) in SPECS.items():
        make_instrument(sym, currency=ccy, sector=sector, industry=f"{sector} industry")
        store_daily_bars(sym, closes[sym].round(6).tolist())
    closes = closes.round(6)
    eurusd = pd.Series(np.round(np.linspace(1.05, 1.15, DAYS), 6))
    store_fx("EUR", "USD", eurusd.tolist())
    pf = make_portfolio("pf", owner=user, positions=HOLDINGS, cash=CASH)
    make_portfolio("empty_pf", owner=user, cash=500.0)
    return Market(closes=closes, eurusd=eurusd, portfolio=pf)
