"""Breach life cycle by hand: acknowledge, escalate, resolve, note — who and when, the timeline,
the transitions refused, and the announcement on risk.breaches.{portfolio} after commit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.risk.models import AlertDelivery, Breach, BreachEvent
from apps.risk.services.breaches import (
    BreachStateError,
    breach_acknowledge,
    breach_escalate,
    breach_note,
    breach_resolve,
)
from apps.risk.services.escalation import escalation_tick
from tests.risk.breach_factory import (
    T0,
    bus_events,
    make_breach,
    make_limit,
    make_policy,
    make_portfolio,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pf(user):
    return make_portfolio("pf_life", owner=user)


@pytest.fixture
def policy(db):
    return make_policy(
        "desk",
        [
            {"level": 1, "delay_seconds": 30, "channels": ["bus"]},
            {"level": 2, "delay_seconds": 120, "channels": ["email"], "emails": "head@desk.test"},
        ],
        is_default=True,
    )


def test_acknowledge_stamps_who_and_when_and_stops_the_schedule(pf, user, policy):
    breach = make_breach(pf, next_escalation_at=T0)
    before = timezone.now()
    out = breach_acknowledge(breach_id=breach.pk, user=user, note="looking into it")
    after = timezone.now()

    breach.refresh_from_db()
    assert out.pk == breach.pk
    assert breach.status == "acknowledged"
    assert breach.acknowledged_by == user
    assert before <= breach.acknowledged_at <= after
    assert breach.next_escalation_at is None
    assert breach.note == "looking into it"
    event = BreachEvent.objects.get(breach=breach)
    assert (event.action, event.by, event.at) == ("acknowledged", user, breach.acknowledged_at)
    assert event.detail == {"note": "looking into it"}


def test_acknowledging_twice_is_refused_and_changes_nothing(pf, user, other_user):
    breach = make_breach(pf)
    breach_acknowledge(breach_id=breach.pk, user=user)
    with pytest.raises(BreachStateError) as err:
        breach_acknowledge(breach_id=breach.pk, user=other_user)
    assert err.value.status == "acknowledged"
    assert "acknowledged" in err.value.reason
    breach.refresh_from_db()
    assert breach.acknowledged_by == user
    assert BreachEvent.objects.filter(breach=breach).count() == 1


def test_full_life_cycle_open_acknowledged_escalated_resolved(pf, user, staff_user, policy, fresh_bus):
    breach = make_breach(pf)
    breach_acknowledge(breach_id=breach.pk, user=user)
    # An acknowledged breach can still be escalated by hand: level 1 of the default policy fires now.
    escalated = breach_escalate(breach_id=breach.pk, user=staff_user, note="desk head must know")
    assert escalated.status == "escalated"
    assert escalated.escalation_level == 1
    assert escalated.escalated_by == staff_user
    assert escalated.acknowledged_by == user  # acknowledgement is kept: the climb stays stopped
    assert escalated.next_escalation_at is None
    resolved = breach_resolve(breach_id=breach.pk, user=staff_user, note="position cut")

    breach.refresh_from_db()
    assert breach.status == "resolved"
    assert breach.resolution == "manual"
    assert breach.resolved_by == staff_user
    assert breach.acknowledged_at <= breach.escalated_at <= breach.resolved_at
    assert resolved.resolved_at == breach.resolved_at
    timeline = list(BreachEvent.objects.filter(breach=breach).values_list("action", "by__username"))
    assert timeline == [("acknowledged", "alice"), ("escalated", "ops"), ("resolved", "ops")]
    escalated_event = BreachEvent.objects.get(breach=breach, action="escalated")
    assert escalated_event.detail["level"] == 1
    assert escalated_event.detail["auto"] is False
    assert escalated_event.detail["note"] == "desk head must know"
    assert list(AlertDelivery.objects.filter(breach=breach).values_list("level", "channel", "target")) == [
        (1, "bus", "risk.alerts.pf_life")
    ]


def test_manual_escalation_of_an_acknowledged_breach_does_not_restart_the_clock(pf, user, policy):
    breach = make_breach(pf)
    breach_acknowledge(breach_id=breach.pk, user=user)
    breach_escalate(breach_id=breach.pk, user=user)
    escalation_tick(now=T0 + timezone.timedelta(hours=1))  # level 2 would be long due
    breach.refresh_from_db()
    assert breach.escalation_level == 1
    assert not AlertDelivery.objects.filter(breach=breach, level=2).exists()


def test_escalate_at_the_top_level_or_without_policy_is_refused(pf, user, policy):
    breach = make_breach(pf)
    breach_escalate(breach_id=breach.pk, user=user)
    breach_escalate(breach_id=breach.pk, user=user)
    with pytest.raises(BreachStateError, match="top level"):
        breach_escalate(breach_id=breach.pk, user=user)
    assert Breach.objects.get(pk=breach.pk).escalation_level == 2

    policy.delete()  # no default left, and the breach has no limit naming a policy
    other = make_breach(pf, limit=make_limit(pf), opened_at=T0)
    with pytest.raises(BreachStateError, match="No escalation policy"):
        breach_escalate(breach_id=other.pk, user=user)


def test_manual_escalation_uses_the_limits_own_policy(pf, user, policy):
    own = make_policy(
        "own", [{"level": 1, "delay_seconds": 0, "channels": ["email"], "emails": "pm@desk.test"}]
    )
    breach = make_breach(pf, limit=make_limit(pf, policy=own))
    breach_escalate(breach_id=breach.pk, user=user)
    assert list(AlertDelivery.objects.filter(breach=breach).values_list("channel", "target")) == [
        ("email", "pm@desk.test")
    ]


@pytest.mark.parametrize(
    "action", [breach_acknowledge, breach_escalate, breach_resolve, breach_note], ids=lambda f: f.__name__
)
def test_a_resolved_breach_cannot_change(pf, user, policy, action):
    breach = make_breach(pf)
    breach_resolve(breach_id=breach.pk, user=user)
    before = Breach.objects.filter(pk=breach.pk).values().get()
    with pytest.raises(BreachStateError) as err:
        action(breach_id=breach.pk, user=user, note="too late")
    assert err.value.status == "resolved"
    assert "resolved" in err.value.reason
    assert Breach.objects.filter(pk=breach.pk).values().get() == before
    assert BreachEvent.objects.filter(breach=breach).count() == 1


def test_note_is_kept_on_the_timeline_and_must_not_be_empty(pf, user):
    breach = make_breach(pf)
    breach_note(breach_id=breach.pk, user=user, note="first")
    breach_note(breach_id=breach.pk, user=user, note="  second  ")
    breach.refresh_from_db()
    assert breach.status == "open"
    assert breach.note == "second"
    notes = list(BreachEvent.objects.filter(breach=breach, action="noted").values_list("detail", flat=True))
    assert notes == [{"note": "first"}, {"note": "second"}]
    with pytest.raises(ValidationError) as err:
        breach_note(breach_id=breach.pk, user=user, note="   ")
    assert "note" in err.value.message_dict


def test_unknown_breach_raises_does_not_exist(user):
    with pytest.raises(Breach.DoesNotExist):
        breach_acknowledge(breach_id=987654, user=user)


def test_each_action_is_published_after_commit(
    pf, user, policy, fresh_bus, django_capture_on_commit_callbacks
):
    breach = make_breach(pf)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        breach_acknowledge(breach_id=breach.pk, user=user)
    assert bus_events("risk.breaches.#") == []  # nothing before the commit
    for callback in pending:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        breach_note(breach_id=breach.pk, user=user, note="n")
        breach_resolve(breach_id=breach.pk, user=user)

    events = bus_events("risk.breaches.#")
    assert [e.topic for e in events] == ["risk.breaches.pf_life"] * 3
    assert [e.payload["event"] for e in events] == ["acknowledged", "noted", "resolved"]
    assert [e.payload["breach"]["status"] for e in events] == ["acknowledged", "acknowledged", "resolved"]
    assert events[0].payload["breach"]["id"] == breach.pk
    assert events[0].payload["breach"]["acknowledged_by"] == user.pk
    assert events[0].priority == "critical"
