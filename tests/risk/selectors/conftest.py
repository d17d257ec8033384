"""Fixtures of the book cache's tests: its clock, moved by hand, and the history reads it makes."""

from __future__ import annotations

import types

import pytest

from apps.risk.selectors.book import market


@pytest.fixture
def clock(monkeypatch):
    """The cache's clock, moved by hand (only the cache module's view of time)."""
    now = [1000.0]
    monkeypatch.setattr(market, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    return now


@pytest.fixture
def panel_reads(monkeypatch):
    """The symbols of every price panel the cache reads (closes, then volume, per load), sorted."""
    calls = []
    real = market.marketdata.price_panel

    def counted(symbols, **kw):
        calls.append(tuple(sorted(symbols)))
        return real(symbols, **kw)

    monkeypatch.setattr(market.marketdata, "price_panel", counted)
    return calls
