"""Webhook deliveries against a real HTTP server on 127.0.0.1: retries on 5xx, connection errors and
timeouts with exponential backoff and jitter; 4xx failed at once; the row records every attempt."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apps.risk.models import AlertDelivery
from apps.risk.services import escalation
from apps.risk.services.escalation import backoff_seconds, webhook_attempt
from apps.risk.tasks.escalation import webhook_deliver
from tests.risk.breach_factory import (
    T0,
    make_breach,
    make_policy,
    make_portfolio,
)

pytestmark = pytest.mark.django_db


class Hook:
    """A local endpoint answering with the scripted statuses in turn (the last one repeats)."""

    def __init__(self, statuses: list[int], *, delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                hook.bodies.append(json.loads(self.rfile.read(length)))
                if hook.delay:
                    time.sleep(hook.delay)
                code = hook.statuses[min(len(hook.bodies) - 1, len(hook.statuses) - 1)]
                body = b'{"ok": true}' if code < 300 else b"nope"
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook_factory():
    hooks: list[Hook] = []

    def make(statuses: list[int], **kw) -> Hook:
        hooks.append(Hook(statuses, **kw))
        return hooks[-1]

    yield make
    for h in hooks:
        h.close()


@pytest.fixture
def webhook_settings(settings):
    settings.RISK_WEBHOOK_BACKOFF_SECONDS = 2.0
    settings.RISK_WEBHOOK_MAX_RETRIES = 5
    settings.RISK_WEBHOOK_TIMEOUT_SECONDS = 2.0
    return settings


@pytest.fixture
def delivery_for(user, monkeypatch, django_capture_on_commit_callbacks):
    """A breach escalated to a level whose one channel is a webhook to `url`; returns the delivery
    (pending, not yet attempted: the tick's enqueue is captured instead of reaching a broker)."""
    pf = make_portfolio("pf_hook", owner=user)
    enqueued: list[int] = []
    monkeypatch.setattr(escalation, "_webhook_enqueue", enqueued.append)

    def make(url: str) -> AlertDelivery:
        make_policy(
            "hooks",
            [{"level": 1, "delay_seconds": 0, "channels": ["webhook"], "webhook_url": url}],
            is_default=True,
        )
        breach = make_breach(pf)
        with django_capture_on_commit_callbacks(execute=True):
            escalation.escalation_tick(now=T0)
        delivery = AlertDelivery.objects.get(breach=breach)
        assert enqueued == [delivery.pk]
        return delivery

    return make


def drive(delivery_id: int, *, rng=lambda: 0.5, limit: int = 20) -> tuple[list[dict], list[float]]:
    """Run attempts the way the task does, the scheduler recording each countdown instead of waiting."""
    countdowns: list[float] = []
    results = [webhook_attempt(delivery_id=delivery_id, schedule_retry=countdowns.append, rng=rng)]
    while results[-1].get("status") == "pending" and len(results) < limit:
        results.append(webhook_attempt(delivery_id=delivery_id, schedule_retry=countdowns.append, rng=rng))
    return results, countdowns


def test_backoff_schedule_is_exponential_with_equal_jitter():
    # nominal = base · 2^(retry−1) = 2, 4, 8, 16, 32 for base 2; delay = nominal/2 + u · nominal/2.
    assert [backoff_seconds(n, base=2.0, rng=lambda: 0.0) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert [backoff_seconds(n, base=2.0, rng=lambda: 0.5) for n in range(1, 6)] == [1.5, 3.0, 6.0, 12.0, 24.0]
    assert [backoff_seconds(n, base=2.0, rng=lambda: 1.0) for n in range(1, 6)] == [2.0, 4.0, 8.0, 16.0, 32.0]
    # Capped: 2 · 2^19 ≫ 600 → nominal 600, so 300 + 0.5 · 300 = 450.
    assert backoff_seconds(20, base=2.0, rng=lambda: 0.5) == 450.0


def test_backoff_jitter_spreads_retries_within_the_band():
    import random

    rng = random.Random(7).random
    delays = [backoff_seconds(3, base=2.0, rng=rng) for _ in range(200)]
    assert all(4.0 <= d <= 8.0 for d in delays)  # nominal 8: [8/2, 8]
    assert len(set(delays)) == 200


def test_two_503s_then_200_sends_on_the_third_attempt(webhook_settings, hook_factory, delivery_for):
    hook = hook_factory([503, 503, 200])
    delivery = delivery_for(hook.url)
    results, countdowns = drive(delivery.pk)

    assert len(hook.bodies) == 3
    assert [r["status"] for r in results] == ["pending", "pending", "sent"]
    assert countdowns == [1.5, 3.0]  # retries 1 and 2 with u = 0.5: (2/2 + 0.5·2/2), (4/2 + 0.5·4/2)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    assert delivery.sent_at is not None
    body = hook.bodies[0]
    assert body["level"] == 1 and body["policy"] == "hooks"
    assert body["breach"]["id"] == delivery.breach_id
    assert body["breach"]["portfolio"] == "pf_hook"
    assert body["breach"]["limit_type"] == "max_position"


def test_a_404_fails_after_one_attempt(webhook_settings, hook_factory, delivery_for):
    hook = hook_factory([404])
    delivery = delivery_for(hook.url)
    results, countdowns = drive(delivery.pk)

    assert len(hook.bodies) == 1
    assert countdowns == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("failed", 1, None)
    assert delivery.last_error.startswith("HTTP 404")


def test_retries_stop_after_max_retries(webhook_settings, hook_factory, delivery_for):
    webhook_settings.RISK_WEBHOOK_MAX_RETRIES = 2
    hook = hook_factory([500])
    delivery = delivery_for(hook.url)
    results, countdowns = drive(delivery.pk, rng=lambda: 0.0)

    assert len(hook.bodies) == 3  # the first attempt and 2 retries
    assert countdowns == [1.0, 2.0]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.last_error.startswith("HTTP 500")


def test_connection_refused_is_retried(webhook_settings, delivery_for):
    with socket.socket() as s:  # a port nobody listens on once this socket closes
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    delivery = delivery_for(f"http://127.0.0.1:{port}/hook")
    countdowns: list[float] = []
    out = webhook_attempt(delivery_id=delivery.pk, schedule_retry=countdowns.append, rng=lambda: 0.0)
    assert out["status"] == "pending"
    assert countdowns == [1.0]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "ConnectionError" in delivery.last_error


def test_a_timeout_is_retried(webhook_settings, hook_factory, delivery_for):
    webhook_settings.RISK_WEBHOOK_TIMEOUT_SECONDS = 0.2
    hook = hook_factory([200], delay=1.0)
    delivery = delivery_for(hook.url)
    countdowns: list[float] = []
    out = webhook_attempt(delivery_id=delivery.pk, schedule_retry=countdowns.append, rng=lambda: 0.0)
    assert out["status"] == "pending"
    assert countdowns == [1.0]
    delivery.refresh_from_db()
    assert "Timeout" in delivery.last_error


def test_a_finished_delivery_is_never_posted_again(webhook_settings, hook_factory, delivery_for):
    hook = hook_factory([200])
    delivery = delivery_for(hook.url)
    drive(delivery.pk)
    again = webhook_attempt(delivery_id=delivery.pk, schedule_retry=pytest.fail)
    assert again == {"delivery": delivery.pk, "skipped": True}
    assert len(hook.bodies) == 1
    assert webhook_attempt(delivery_id=10**9, schedule_retry=pytest.fail)["skipped"] is True


def test_the_task_retries_through_apply_async_with_the_countdown(
    webhook_settings, hook_factory, delivery_for, monkeypatch
):
    hook = hook_factory([503, 200])
    delivery = delivery_for(hook.url)
    scheduled: list[dict] = []
    monkeypatch.setattr(escalation.random, "random", lambda: 0.5)
    monkeypatch.setattr(webhook_deliver, "apply_async", lambda **kw: scheduled.append(kw))
    args = json.loads(json.dumps([delivery.pk]))  # what a JSON broker hands the worker

    first = webhook_deliver.apply(args=args).get()
    assert first["status"] == "pending"
    assert scheduled == [{"args": [delivery.pk], "countdown": 1.5}]
    second = webhook_deliver.apply(args=scheduled[0]["args"]).get()
    assert second["status"] == "sent"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
