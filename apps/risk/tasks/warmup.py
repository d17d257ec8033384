"""A risk worker warms its book cache as it starts (selectors.book.warm), so the first monitor run
after a deploy or a restart is not a cold one that uses most of its interval and raises the
slow-run alert.

The worker's main process loads it before its pool starts (worker_init): the prefork children are
forked with it, and PostgreSQL reads the year of closes once per worker, not once per child at the
same moment (both children of a 10,000-portfolio desk read 2,000 symbols' closes at once: ~1 s of
the database's time each). Each child then warms what is still missing as it starts, in a thread
(a child forked later, when the parent's entries have expired): it takes tasks at once, and a run
that needs symbols being loaded waits for that load rather than repeating it.
RISK_BOOK_WARMUP=false turns both off."""

from __future__ import annotations

import logging
import threading

from celery import current_app
from celery.signals import worker_init, worker_process_init
from django.conf import settings
from django.db import connection

from workers.registry import engine

from ..selectors.book.warm import book_cache_warm

log = logging.getLogger("apps.risk.monitor")


def consumes_risk(queues) -> bool:
    """Does a worker consuming `queues` run risk tasks (the risk queue or one of its lanes; the
    compact worker consumes them all)?"""
    risk = engine("risk")
    return bool({risk.queue, *(lane.queue for lane in risk.lanes)} & set(queues))


def warm() -> dict | None:
    """The warm-up itself, on this thread; its outcome (None: it failed, which only costs a cold
    first run). The thread's own database connection is closed after it."""
    try:
        result = book_cache_warm()
        log.info("risk book cache warmed: %(symbols)d symbols in %(seconds).2f s", result)
        return result
    except Exception:  # noqa: BLE001 - a warm-up must never take a worker down
        log.exception("risk book cache warm-up failed; the first run loads what it needs")
        return None
    finally:
        connection.close()


def _warm_here() -> bool:
    return bool(settings.RISK_BOOK_WARMUP) and consumes_risk(current_app.amqp.queues.consume_from or {})


@worker_init.connect(dispatch_uid="risk-book-warmup-main")
def warm_before_the_pool(**_kwargs) -> None:
    if _warm_here():
        warm()


@worker_process_init.connect(dispatch_uid="risk-book-warmup")
def warm_on_start(**_kwargs) -> None:
    if _warm_here():
        threading.Thread(target=warm, name="risk-book-warmup", daemon=True).start()
