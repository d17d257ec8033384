"""Source adapters by name: built-ins imported on first use, plug-ins added with `register()`."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from .base import AdapterError, SourceAdapter

_BUILTIN = {
    "files": "apps.marketdata.selectors.adapters.files:FileAdapter",
    "simulated": "apps.marketdata.selectors.adapters.simulated:SimulatedAdapter",
    "yahoo": "apps.marketdata.selectors.adapters.network:YahooAdapter",
    "fred": "apps.marketdata.selectors.adapters.network:FredAdapter",
    "alphavantage": "apps.marketdata.selectors.adapters.network:AlphaVantageAdapter",
    "ibkr": "apps.marketdata.selectors.adapters.network:IbkrAdapter",
}
_registered: dict[str, Callable[..., SourceAdapter]] = {}


def register(name: str, factory: Callable[..., SourceAdapter]) -> None:
    _registered[name] = factory


def adapter_names() -> list[str]:
    return sorted({*_BUILTIN, *_registered})


def _factory(name: str) -> Callable[..., SourceAdapter]:
    if name in _registered:
        return _registered[name]
    if name not in _BUILTIN:
        raise AdapterError(f"unknown adapter {name!r}; known: {', '.join(adapter_names())}")
    module, _, attr = _BUILTIN[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def get_adapter(name: str, **options) -> SourceAdapter:
    return _factory(name)(**options)
