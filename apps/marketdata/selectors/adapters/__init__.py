"""Source adapters: where market data comes from (files, the simulated market, network vendors).

    adapter = get_adapter("files", root="/data/yahoo")
    adapter = get_adapter("simulated", seed=7)

Built-ins are named by dotted path and imported on first use, so an optional adapter costs
nothing until asked for; `register()` adds a plug-in (a class or any factory returning an adapter).
"""

from .base import AdapterError, AdapterUnavailable, SourceAdapter
from .registry import adapter_names, get_adapter, register

__all__ = ["AdapterError", "AdapterUnavailable", "SourceAdapter", "adapter_names", "get_adapter", "register"]
