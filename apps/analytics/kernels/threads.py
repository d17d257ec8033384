"""The process-wide thread pool the metric kernel runs its row blocks on (numpy releases the GIL
inside its loops, so blocks run in parallel).

One pool per process, never one per call. Its size comes from `threads_configure` (the selectors
pass ANALYTICS_KERNEL_THREADS; kernels read no settings) or else is the number of cores this process
may use: a web or worker process pinned to fewer cores, or a container given fewer, gets fewer
threads instead of oversubscribing the machine.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

# Created on first use, never at import: a prefork worker forks after import, and threads do not
# survive a fork.
_POOL: ThreadPoolExecutor | None = None
_THREADS: int | None = None
_LOCK = threading.Lock()  # request threads of one web process may race to the first use


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and taskset narrow),
    falling back to the machine's count where affinity is not available."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def threads_configure(threads: int | None) -> None:
    """Size the block pool: `threads` workers, None for `usable_cores()`. Cheap and idempotent, so
    callers pass their setting on every call; only a changed size drops the current pool (the next
    use creates the new one)."""
    global _POOL, _THREADS
    size = usable_cores() if threads is None else max(1, int(threads))
    if size == _THREADS:
        return
    with _LOCK:
        old, _POOL, _THREADS = _POOL, None, size
    if old is not None:
        old.shutdown(wait=False)  # blocks already handed to it still finish


def pool_threads() -> int:
    """The size the pool has (or will have on first use)."""
    if _THREADS is None:
        threads_configure(None)
    return _THREADS


def block_pool() -> ThreadPoolExecutor:
    """The process's pool, created on first use."""
    global _POOL
    size = pool_threads()
    with _LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=size, thread_name_prefix="analytics-metrics")
        return _POOL
