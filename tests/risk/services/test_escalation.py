"""Escalation timing with an injected clock, the channels (bus alert, email, webhook enqueue), and
the guarantees: acknowledged stops the climb, a rerun or two ticks at once never send twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection

from apps.risk.models import AlertDelivery, Breach, BreachEvent
from apps.risk.services import escalation
from apps.risk.services.breaches import breach_acknowledge
from apps.risk.services.escalation import escalation_tick
from apps.risk.services.policies import policy_update
from tests.risk.breach_factory import (
    T0,
    bus_events,
    make_breach,
    make_limit,
    make_policy,
    make_portfolio,
)

pytestmark = pytest.mark.django_db


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture
def pf(user):
    return make_portfolio("pf_esc", owner=user)


@pytest.fixture
def policy(db):
    """Level 1 after 30 s: a bus alert and an email; level 2 after 120 s: email to two people."""
    return make_policy(
        "desk",
        [
            {"level": 1, "delay_seconds": 30, "channels": ["bus", "email"], "emails": "trader@desk.test"},
            {
                "level": 2,
                "delay_seconds": 120,
                "channels": ["email"],
                "emails": "head@desk.test, cro@desk.test",
            },
        ],
        is_default=True,
    )


@pytest.fixture
def tick(django_capture_on_commit_callbacks):
    """escalation_tick at T0 + seconds, with its after-commit sends run."""

    def run(seconds: float) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            return escalation_tick(now=at(seconds))

    return run


def deliveries(breach) -> list[tuple]:
    return list(
        AlertDelivery.objects.filter(breach=breach)
        .order_by("level", "channel", "target")
        .values_list("level", "channel", "target", "status")
    )


def test_level_one_fires_at_its_delay_not_a_second_before(pf, policy, tick, fresh_bus):
    breach = make_breach(pf)
    assert tick(29)["levels_fired"] == 0
    breach.refresh_from_db()
    assert (breach.status, breach.escalation_level) == ("open", 0)
    assert breach.next_escalation_at == at(30)  # scheduled on its first tick
    assert mail.outbox == []

    assert tick(30)["levels_fired"] == 1
    breach.refresh_from_db()
    assert (breach.status, breach.escalation_level, breach.escalated_at) == ("escalated", 1, at(30))
    assert breach.escalated_by is None  # the clock, not a person
    assert breach.next_escalation_at == at(120)
    assert deliveries(breach) == [
        (1, "bus", "risk.alerts.pf_esc", "sent"),
        (1, "email", "trader@desk.test", "sent"),
    ]
    assert [m.to for m in mail.outbox] == [["trader@desk.test"]]
    assert mail.outbox[0].from_email == "risk@nautilus.local"
    assert "pf_esc" in mail.outbox[0].subject and "L1" in mail.outbox[0].subject
    alerts = bus_events("risk.alerts.*")
    assert [(e.topic, e.priority) for e in alerts] == [("risk.alerts.pf_esc", "critical")]
    assert alerts[0].payload["level"] == 1
    assert alerts[0].payload["policy"] == "desk"
    assert alerts[0].payload["breach"]["id"] == breach.pk
    assert [e.payload["event"] for e in bus_events("risk.breaches.pf_esc")] == ["escalated"]

    assert tick(119)["levels_fired"] == 0
    assert tick(120)["levels_fired"] == 1
    breach.refresh_from_db()
    assert breach.escalation_level == 2
    assert breach.next_escalation_at is None  # top reached
    assert deliveries(breach)[2:] == [
        (2, "email", "cro@desk.test", "sent"),
        (2, "email", "head@desk.test", "sent"),
    ]
    assert sorted(m.to[0] for m in mail.outbox[1:]) == ["cro@desk.test", "head@desk.test"]


def test_a_late_tick_fires_every_due_level_in_order(pf, policy, tick):
    breach = make_breach(pf)
    out = tick(500)
    assert out["levels_fired"] == 2
    assert out["deliveries"] == 4  # L1: bus + 1 email; L2: 2 emails
    levels = list(
        BreachEvent.objects.filter(breach=breach, action="escalated").values_list("detail", flat=True)
    )
    assert [d["level"] for d in levels] == [1, 2]
    assert all(d["auto"] for d in levels)


def test_rerunning_a_tick_never_sends_twice(pf, policy, tick, fresh_bus):
    breach = make_breach(pf)
    tick(30)
    tick(30)
    tick(31)
    assert len(deliveries(breach)) == 2
    assert len(mail.outbox) == 1
    assert len(bus_events("risk.alerts.#")) == 1

    # Even if the breach's own record were rolled back to level 0 (a crash between two writes), the
    # delivery rows' unique constraint keeps the alerts from going out again.
    Breach.objects.filter(pk=breach.pk).update(escalation_level=0, status="open", next_escalation_at=None)
    out = tick(31)
    assert out["levels_fired"] == 1 and out["deliveries"] == 0
    assert len(mail.outbox) == 1
    assert len(bus_events("risk.alerts.#")) == 1


def test_acknowledged_breach_does_not_climb(pf, user, policy, tick):
    early = make_breach(pf)
    breach_acknowledge(breach_id=early.pk, user=user)
    late = make_breach(pf, limit=make_limit(pf))
    tick(30)
    breach_acknowledge(breach_id=late.pk, user=user)

    assert tick(10_000)["levels_fired"] == 0
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.status, early.escalation_level) == ("acknowledged", 0)
    assert (late.status, late.escalation_level) == ("acknowledged", 1)
    assert deliveries(early) == []
    assert [d[0] for d in deliveries(late)] == [1, 1]


def test_resolved_breach_does_not_climb(pf, user, policy, tick):
    make_breach(pf, status="resolved", resolved_at=at(1), resolution="auto")
    assert tick(500) == {"candidates": 0, "levels_fired": 0, "deliveries": 0}


def test_the_limits_own_policy_wins_over_the_default(pf, policy, tick):
    own = make_policy("fast", [{"level": 1, "delay_seconds": 5, "channels": ["bus"]}])
    mine = make_breach(pf, limit=make_limit(pf, policy=own))
    default = make_breach(pf)  # no limit: the default policy
    tick(5)
    assert deliveries(mine) == [(1, "bus", "risk.alerts.pf_esc", "sent")]
    assert deliveries(default) == []


def test_no_policy_means_no_escalation(pf, tick):
    breach = make_breach(pf)
    assert tick(10_000)["levels_fired"] == 0
    breach.refresh_from_db()
    assert (breach.status, breach.next_escalation_at) == ("open", None)


def test_the_tick_reads_the_schedule_and_a_policy_edit_reschedules(pf, policy, tick):
    breach = make_breach(pf)
    tick(0)
    breach.refresh_from_db()
    assert breach.next_escalation_at == at(30)
    # The policy now waits 60 s: editing it clears the schedules, the next tick recomputes them.
    policy_update(
        policy_id=policy.pk,
        data={
            "levels": [
                {"level": 1, "delay_seconds": 60, "channels": ["bus"]},
                {"level": 2, "delay_seconds": 120, "channels": ["bus"]},
            ]
        },
    )
    assert tick(30)["levels_fired"] == 0
    breach.refresh_from_db()
    assert breach.next_escalation_at == at(60)
    assert tick(60)["levels_fired"] == 1


def test_a_webhook_level_is_enqueued_after_commit(pf, tick, monkeypatch, django_capture_on_commit_callbacks):
    make_policy(
        "hook",
        [{"level": 1, "delay_seconds": 0, "channels": ["webhook"], "webhook_url": "http://127.0.0.1:9/x"}],
        is_default=True,
    )
    enqueued: list[int] = []
    monkeypatch.setattr(escalation, "_webhook_enqueue", enqueued.append)
    breach = make_breach(pf)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        escalation_tick(now=at(0))
    assert enqueued == []
    for callback in pending:
        callback()
    delivery = AlertDelivery.objects.get(breach=breach)
    assert enqueued == [delivery.pk]
    assert (delivery.channel, delivery.target, delivery.status, delivery.attempts) == (
        "webhook",
        "http://127.0.0.1:9/x",
        "pending",
        0,
    )


def test_a_failing_email_is_recorded_not_raised(pf, policy, tick, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr(escalation, "send_mail", broken)
    breach = make_breach(pf)
    tick(30)
    email = AlertDelivery.objects.get(breach=breach, channel="email")
    assert (email.status, email.attempts) == ("failed", 1)
    assert "smtp down" in email.last_error
    assert AlertDelivery.objects.get(breach=breach, channel="bus").status == "sent"


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_send_each_alert_once(user, fresh_bus):
    pf = make_portfolio("pf_race", owner=user)
    make_policy(
        "desk",
        [{"level": 1, "delay_seconds": 30, "channels": ["bus", "email"], "emails": "trader@desk.test"}],
        is_default=True,
    )
    breaches = [
        make_breach(pf, limit=make_limit(pf, scope="instrument", scope_value=f"S{i}")) for i in range(8)
    ]
    barrier = threading.Barrier(2)
    results: list[dict] = []
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait()
            results.append(escalation_tick(now=at(30)))
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sum(r["levels_fired"] for r in results) == 8
    assert sum(r["deliveries"] for r in results) == 16
    assert AlertDelivery.objects.filter(breach__in=breaches).count() == 16
    assert len(mail.outbox) == 8
    assert len(bus_events("risk.alerts.pf_race")) == 8
