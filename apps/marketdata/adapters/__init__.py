"""Source adapters by name.

    adapter = get_adapter("files", root="/data/yahoo")
    adapter = get_adapter("simulated", seed=7)

Built-ins are named by dotted path and imported on first use, so an optional adapter costs
nothing until asked for; `register()` adds a plug-in (a class or any factory returning an adapter).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from .base import AdapterError, AdapterUnavailable, SourceAdapter

__all__ = ["AdapterError", "AdapterUnavailable", "SourceAdapter", "adapter_names", "get_adapter", "register"]

_BUILTIN = {
    "files": "apps.marketdata.adapters.files:FileAdapter",
    "simulated": "apps.marketdata.adapters.simulated:SimulatedAdapter",
    "yahoo": "apps.marketdata.adapters.network:YahooAdapter",
    "fred": "apps.marketdata.adapters.network:FredAdapter",
    "alphavantage": "apps.marketdata.adapters.network:AlphaVantageAdapter",
    "ibkr": "apps.marketdata.adapters.network:IbkrAdapter",
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
