"""The cache backend shares one Redis client per process: requests run in fresh contexts (the web
process's ASGI-to-WSGI bridge) get fresh backend instances, which must not open new connections."""

from __future__ import annotations

import contextvars
import threading

from django.core.cache import caches


def test_backends_of_other_threads_and_contexts_share_one_client_and_work():
    seen = []

    def use():
        backend = caches["default"]
        backend.set("shared-cache-probe", 42, 5)
        seen.append((backend, backend._cache, backend.get("shared-cache-probe")))

    threads = [threading.Thread(target=contextvars.copy_context().run, args=(use,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    contextvars.Context().run(use)  # an empty context, as a new request's
    backends = {id(b) for b, _, _ in seen}
    clients = {id(c) for _, c, _ in seen}
    assert len(seen) == 4 and len(clients) == 1 and all(v == 42 for _, _, v in seen)
    assert len(backends) > 1  # the instances differ (Django's Local); the client does not
