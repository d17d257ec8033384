"""The risk worker's start-up warm-up (tasks/warmup.py): which workers run it, and that its
failure is logged, never raised, and leaves no database connection open on its thread."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.risk.tasks import warmup


@pytest.mark.parametrize(
    ("queues", "expected"),
    [
        (["risk"], True),
        (["risk_fast"], True),
        (["marketdata", "risk", "analytics"], True),  # the compact worker consumes every queue
        (["analytics"], False),
        (["risk_reports_elsewhere"], False),
        ([], False),
    ],
)
def test_only_workers_consuming_a_risk_queue_warm_up(queues, expected):
    assert warmup.consumes_risk(queues) is expected


@pytest.mark.django_db(transaction=True)
def test_the_warm_up_reports_what_it_loaded_and_closes_its_connection(monkeypatch):
    assert warmup.warm() == {"symbols": 0, "seconds": pytest.approx(0.0, abs=5.0)}
    assert connection.connection is None


@pytest.mark.django_db(transaction=True)
def test_a_failing_warm_up_is_logged_not_raised(monkeypatch, caplog):
    def broken():
        raise RuntimeError("database gone")

    monkeypatch.setattr(warmup, "book_cache_warm", broken)
    assert warmup.warm() is None
    assert "warm-up failed" in caplog.text
    assert connection.connection is None


@pytest.mark.parametrize(
    ("queues", "enabled", "warms"),
    [({"risk": None}, True, True), ({"analytics": None}, True, False), ({"risk": None}, False, False)],
)
def test_the_main_process_warms_before_its_pool_when_it_consumes_risk(
    monkeypatch, settings, queues, enabled, warms
):
    from celery import current_app

    calls = []
    monkeypatch.setattr(warmup, "warm", lambda: calls.append("warm"))
    monkeypatch.setattr(current_app.amqp.queues, "_consume_from", queues)  # what `-Q` selects
    settings.RISK_BOOK_WARMUP = enabled
    warmup.warm_before_the_pool(sender=None)
    assert calls == (["warm"] if warms else [])
