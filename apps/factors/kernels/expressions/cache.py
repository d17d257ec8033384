"""A process-local LRU of evaluated panels, bounded by their total size in bytes.

Keys are `(context, digest)`: the data the panel was computed from and the canonical
sub-expression. Stored arrays are made read-only, so one cached result can be handed to many
callers (and threads) without a copy and without any of them changing it for the others.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np


class PanelCache:
    """Least-recently-used panels up to `max_bytes` in total (`ndarray.nbytes`). A panel larger
    than `max_bytes` is not stored. Every method is safe to call from several threads."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def get(self, key: Hashable) -> np.ndarray | None:
        """The panel stored under `key` (now the most recently used) or None; counts a hit or miss."""
        with self._lock:
            array = self._items.get(key)
            if array is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return array

    def put(self, key: Hashable, array: np.ndarray) -> None:
        """Store `array` (made read-only in place) under `key`, evicting the least recently used
        panels until the total fits. Replaces any panel already under `key`."""
        array.setflags(write=False)
        size = int(array.nbytes)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= int(old.nbytes)
            if size > self.max_bytes:
                return
            self._items[key] = array
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= int(evicted.nbytes)
                self.evictions += 1

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        """Total bytes of the panels held now."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        """Whether `key` is held, without counting a hit or miss or refreshing its recency."""
        with self._lock:
            return key in self._items

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "hits": self.hits,
                "misses": self.misses,
                "evictions": self.evictions,
                "entries": len(self._items),
                "bytes": self._bytes,
                "max_bytes": self.max_bytes,
            }
