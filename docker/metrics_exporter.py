"""Serves a worker container's Prometheus metrics on METRICS_EXPORTER_PORT.

Celery's prefork children each write their figures (nautilus_task_*, bus counters, queue depth)
into PROMETHEUS_MULTIPROC_DIR, a tmpfs private to the container. Nothing in a worker container
listens on HTTP, so this process, started by the entrypoint beside the worker, aggregates those
files on every scrape. Prometheus finds every replica through the compose service's DNS name.
"""

from __future__ import annotations

import os
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.multiprocess import MultiProcessCollector


def build_app():
    """A WSGI app exposing the aggregate of the multiprocess directory's files."""
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    return make_wsgi_app(registry)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # one line per scrape would drown the worker's log
        pass


def main() -> None:
    port = int(os.environ.get("METRICS_EXPORTER_PORT", "9808"))
    with make_server("0.0.0.0", port, build_app(), handler_class=_QuietHandler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
