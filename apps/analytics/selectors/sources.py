"""Reads the analytics engine needs from other engines, through their facades only."""

from __future__ import annotations

import pandas as pd

from apps.marketdata import facade as marketdata
from apps.portfolio import facade as portfolio_facade

PortfolioInfo = portfolio_facade.PortfolioInfo


def portfolio_info(key) -> PortfolioInfo | None:
    """The portfolio (with positions) by code or id; a PortfolioInfo passes through unchanged."""
    if isinstance(key, PortfolioInfo):
        return key
    return portfolio_facade.portfolio_get(getattr(key, "code", key))


def portfolio_infos(keys) -> list[PortfolioInfo]:
    found = [portfolio_info(k) for k in keys]
    return [p for p in found if p is not None]


def transactions(portfolio_ids: list[int], *, end=None) -> pd.DataFrame:
    return portfolio_facade.transactions_frame(portfolio_ids, end=end)


def portfolio_codes_holding(symbols: list[str]) -> list[str]:
    return portfolio_facade.portfolio_codes_holding(symbols)


def instruments(symbols) -> dict[str, marketdata.InstrumentInfo]:
    return marketdata.instruments_by_symbols(symbols)
