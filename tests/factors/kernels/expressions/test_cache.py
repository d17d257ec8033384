from __future__ import annotations

import threading

import numpy as np
import pytest

from apps.factors.kernels.expressions import PanelCache


def panel(value: float, rows: int = 10) -> np.ndarray:
    return np.full((rows, 10), value)  # rows * 80 bytes


def test_get_and_put_count_hits_and_misses():
    cache = PanelCache(max_bytes=10_000)
    assert cache.get(("ctx", "a")) is None
    array = panel(1.0)
    cache.put(("ctx", "a"), array)
    assert cache.get(("ctx", "a")) is array
    assert cache.get(("other", "a")) is None
    assert (cache.hits, cache.misses) == (1, 2)
    assert cache.stats() == {
        "hits": 1,
        "misses": 2,
        "evictions": 0,
        "entries": 1,
        "bytes": 800,
        "max_bytes": 10_000,
    }


def test_stored_arrays_are_read_only():
    cache = PanelCache(max_bytes=10_000)
    array = panel(1.0)
    cache.put("a", array)
    with pytest.raises(ValueError):
        cache.get("a")[0, 0] = 2.0


def test_least_recently_used_is_evicted_by_bytes():
    cache = PanelCache(max_bytes=2_400)  # three 800-byte panels
    for key in "abc":
        cache.put(key, panel(1.0))
    cache.get("a")  # a is now the most recent; b the least
    cache.put("d", panel(2.0))
    assert "b" not in cache and all(k in cache for k in "acd")
    assert (cache.nbytes, cache.evictions) == (2_400, 1)
    cache.put("e", panel(3.0, rows=20))  # 1600 bytes: evicts c then a
    assert [k for k in "abcde" if k in cache] == ["d", "e"]
    assert cache.nbytes == 2_400 and cache.evictions == 3


def test_a_panel_larger_than_the_cache_is_not_stored():
    cache = PanelCache(max_bytes=500)
    cache.put("big", panel(1.0))
    assert len(cache) == 0 and cache.nbytes == 0


def test_replacing_a_key_accounts_bytes_once():
    cache = PanelCache(max_bytes=10_000)
    cache.put("a", panel(1.0))
    cache.put("a", panel(2.0, rows=5))
    assert (len(cache), cache.nbytes) == (1, 400)
    assert cache.get("a")[0, 0] == 2.0


def test_contains_does_not_count_or_refresh():
    cache = PanelCache(max_bytes=1_600)
    cache.put("a", panel(1.0))
    cache.put("b", panel(1.0))
    assert "a" in cache
    cache.put("c", panel(1.0))  # a was not refreshed by `in`, so it goes
    assert "a" not in cache and (cache.hits, cache.misses) == (0, 0)


def test_clear_and_negative_size():
    cache = PanelCache(max_bytes=10_000)
    cache.put("a", panel(1.0))
    cache.clear()
    assert (len(cache), cache.nbytes) == (0, 0)
    with pytest.raises(ValueError):
        PanelCache(max_bytes=-1)


def test_concurrent_use_keeps_the_byte_count_consistent():
    cache = PanelCache(max_bytes=8_000)  # ten panels; forty keys compete
    errors = []
    gets = [0] * 4

    def worker(seed: int) -> None:
        rng = np.random.default_rng(seed)
        try:
            for _ in range(2_000):
                key = int(rng.integers(40))
                if rng.random() < 0.5:
                    cache.put(key, panel(float(key)))
                else:
                    gets[seed] += 1
                    got = cache.get(key)
                    if got is not None and got[0, 0] != key:
                        errors.append((key, got[0, 0]))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache.nbytes == 800 * len(cache) <= 8_000
    assert cache.hits + cache.misses == sum(gets)  # no lost counter updates
    assert cache.hits > 0 and cache.evictions > 0
