"""Network sources (Yahoo, FRED, Alpha Vantage, IBKR): optional plug-ins, not part of this build.

Each class names the package and access it would need and refuses clearly instead of half working:
the platform assumes no internet at run time, and the tests never call a network source. A
deployment that wants one implements fetch_bars/fetch_series in a subclass and registers it with
`apps.marketdata.selectors.adapters.register(name, factory)`.
"""

from __future__ import annotations

import importlib.util

from .base import AdapterUnavailable


class NetworkAdapter:
    name = "network"
    package = ""  # the optional dependency a real implementation would use
    needs = "network access"

    def __init__(self, **options):
        self.options = options

    def _unavailable(self) -> AdapterUnavailable:
        installed = bool(self.package) and importlib.util.find_spec(self.package) is not None
        state = "installed, but this build ships no implementation" if installed else "not installed"
        return AdapterUnavailable(
            f"the {self.name} adapter is an optional plug-in ({self.package}: {state}; it also needs "
            f"{self.needs}). Load files with ingest_bars/ingest_series or use the files or simulated adapter."
        )

    def list_symbols(self) -> list[str]:
        raise self._unavailable()

    def fetch_bars(self, symbol: str, interval: str, start=None, end=None):
        raise self._unavailable()

    def fetch_series(self, code: str, start=None, end=None):
        raise self._unavailable()


class YahooAdapter(NetworkAdapter):
    name, package = "yahoo", "yfinance"


class FredAdapter(NetworkAdapter):
    name, package, needs = "fred", "fredapi", "network access and a FRED API key"


class AlphaVantageAdapter(NetworkAdapter):
    name, package, needs = "alphavantage", "alpha_vantage", "network access and an Alpha Vantage API key"


class IbkrAdapter(NetworkAdapter):
    name, package, needs = "ibkr", "ib_insync", "a running TWS or IB Gateway"
