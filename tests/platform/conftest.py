"""Platform fixtures: a clean broker for each test and real in-thread Celery workers."""

from __future__ import annotations

import contextlib
import importlib

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.db import connections

from apps.platform import health
from apps.platform.queues import LAST_TASK_KEY, priority_list_names
from apps.platform.redis_client import broker_redis
from workers.registry import ENGINES, QUEUES

# Load every task the workers must know about (the worker's own autodiscovery does the same).
for _module in ["apps.platform.tasks", *(f"apps.{e.key}.tasks" for e in ENGINES)]:
    importlib.import_module(_module)


def broker_purge() -> None:
    """Drop what earlier tests left on the engine queues and the last-task records — only our own
    keys, never FLUSHDB: the broker database may be shared with the rest of the suite."""
    r = broker_redis()
    names = [n for q in QUEUES for n in priority_list_names(q)]
    names += [LAST_TASK_KEY.format(engine=e.key) for e in ENGINES]
    r.delete(*names)


@pytest.fixture
def clean_broker():
    """Use in this package's broker-touching tests (not autouse: other suites share this folder)."""
    broker_purge()
    health.worker_cache_clear()
    yield
    health.worker_cache_clear()


@pytest.fixture(scope="session")
def celery_app():
    from nautilus.celery import app

    return app


def _close_thread_connections(**_kw) -> None:
    # The worker thread opens its own DB connections; close them after each task so the test
    # database can be flushed and dropped while the thread is idle.
    connections.close_all()


@contextlib.contextmanager
def running_worker(app, queues):
    signals.task_postrun.connect(_close_thread_connections, weak=False)
    try:
        with start_worker(
            app,
            queues=list(queues),
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30,
        ) as worker:
            health.worker_cache_clear()
            yield worker
    finally:
        signals.task_postrun.disconnect(_close_thread_connections)
        health.worker_cache_clear()


@pytest.fixture(scope="module")
def worker_all_queues(celery_app, django_db_setup, django_db_blocker):
    """One real worker consuming all nine engine queues, shared by a module's tests."""
    broker_purge()
    with django_db_blocker.unblock(), running_worker(celery_app, QUEUES) as worker:
        yield worker


@pytest.fixture
def worker_on(celery_app, django_db_setup, django_db_blocker):
    """Start a real worker on the given queues only: `with worker_on(["risk"]): ...`."""

    @contextlib.contextmanager
    def _start(queues):
        with django_db_blocker.unblock(), running_worker(celery_app, queues) as worker:
            yield worker

    return _start
