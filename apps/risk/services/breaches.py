"""What people do to a breach after the monitor opened it: acknowledge, escalate, resolve, annotate.

Life cycle (open → acknowledged → escalated → resolved), the transitions allowed:

    action       from                              to            notes
    acknowledge  open, escalated                   acknowledged  stops the automatic climb for good
    escalate     open, acknowledged, escalated     escalated     raises to the next policy level now and
                                                                 fires its channels; 409 at the top level
    resolve      open, acknowledged, escalated     resolved      manual resolution (the monitor resolves
                                                                 automatically after hysteresis)
    note         open, acknowledged, escalated     (unchanged)   kept on the timeline; latest in `note`

A resolved breach never changes again (a recurrence opens a new breach), so every action on it is
refused with BreachStateError (the API's 409), as is acknowledging twice. Each action locks the row
(SELECT ... FOR UPDATE, so it cannot interleave with the escalation tick or the monitor), stamps
who and when, writes a BreachEvent and publishes on risk.breaches.{portfolio} after commit.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import Breach, BreachEvent, BreachStatus
from .breach_events import breach_publish
from .escalation import PolicyBook, level_fire, next_escalation_time, next_level
from .monitor.changes import changes_note_on_commit

ACTIVE = (BreachStatus.OPEN, BreachStatus.ACKNOWLEDGED, BreachStatus.ESCALATED)
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "acknowledge": (BreachStatus.OPEN, BreachStatus.ESCALATED),
    "escalate": ACTIVE,
    "resolve": ACTIVE,
    "note": ACTIVE,
}
NOTE_MAX = 4000


class BreachStateError(Exception):
    """The action is not allowed in the breach's current status (the API answers 409)."""

    def __init__(self, reason: str, *, status: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def _clean_note(note: str | None, *, required: bool = False) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationError({"note": "A note cannot be empty."})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"At most {NOTE_MAX} characters."})
    return note


def _locked(breach_id: int, action: str) -> Breach:
    """The breach, locked for this transaction; Breach.DoesNotExist when unknown (the API's 404)."""
    breach = (
        Breach.objects.select_for_update(of=("self",)).select_related("limit", "portfolio").get(pk=breach_id)
    )
    if breach.status not in ALLOWED_FROM[action]:
        if breach.status == BreachStatus.RESOLVED:
            reason = f"Breach {breach.pk} is resolved; a resolved breach cannot change."
        else:
            reason = f"Cannot {action} a breach that is {breach.status}."
        raise BreachStateError(reason, status=breach.status)
    return breach


def _finish(breach: Breach, *, action: str, by, now, note: str, fields: list[str], detail=None) -> Breach:
    if note:
        breach.note = note
        fields = [*fields, "note"]
    breach.save(update_fields=fields)
    BreachEvent.objects.create(
        breach=breach,
        at=now,
        action=action,
        by=by,
        detail={**(detail or {}), **({"note": note} if note else {})},
    )
    transaction.on_commit(lambda: breach_publish(breach, action))
    return breach


@transaction.atomic
def breach_acknowledge(*, breach_id: int, user, note: str = "") -> Breach:
    note = _clean_note(note)
    breach = _locked(breach_id, "acknowledge")
    now, by = timezone.now(), _user(user)
    breach.status = BreachStatus.ACKNOWLEDGED
    breach.acknowledged_at, breach.acknowledged_by = now, by
    breach.next_escalation_at = None
    return _finish(
        breach,
        action="acknowledged",
        by=by,
        now=now,
        note=note,
        fields=["status", "acknowledged_at", "acknowledged_by", "next_escalation_at"],
    )


@transaction.atomic
def breach_escalate(*, breach_id: int, user, note: str = "") -> Breach:
    """Raise to the next level of the breach's policy now, firing that level's channels."""
    note = _clean_note(note)
    breach = _locked(breach_id, "escalate")
    levels = PolicyBook().for_breach(breach)
    level = next_level(levels, breach.escalation_level)
    if level is None:
        reason = (
            "No escalation policy applies to this breach (the limit has none and there is no default)."
            if not levels
            else f"Breach {breach.pk} is already at the top level ({breach.escalation_level}) of its policy."
        )
        raise BreachStateError(reason, status=breach.status)
    now, by = timezone.now(), _user(user)
    level_fire(breach=breach, level=level, now=now, by=by, note=note)
    breach.next_escalation_at = next_escalation_time(breach, levels)
    if note:
        breach.note = note
    breach.save(
        update_fields=[
            "status",
            "escalation_level",
            "escalated_at",
            "escalated_by",
            "next_escalation_at",
            "note",
        ]
    )
    transaction.on_commit(lambda: breach_publish(breach, "escalated"))
    return breach


@transaction.atomic
def breach_resolve(*, breach_id: int, user, note: str = "") -> Breach:
    note = _clean_note(note)
    breach = _locked(breach_id, "resolve")
    now, by = timezone.now(), _user(user)
    breach.status = BreachStatus.RESOLVED
    breach.resolved_at, breach.resolved_by = now, by
    breach.resolution = "manual"
    breach.next_escalation_at = None
    # Still above its level, the limit opens a new breach at the next check of its portfolio: make
    # the next incremental run that check rather than waiting for the full sweep.
    changes_note_on_commit([f"p:{breach.portfolio_id}"])
    return _finish(
        breach,
        action="resolved",
        by=by,
        now=now,
        note=note,
        fields=["status", "resolved_at", "resolved_by", "resolution", "next_escalation_at"],
        detail={"resolution": "manual"},
    )


@transaction.atomic
def breach_note(*, breach_id: int, user, note: str = "") -> Breach:
    note = _clean_note(note, required=True)
    breach = _locked(breach_id, "note")
    return _finish(breach, action="noted", by=_user(user), now=timezone.now(), note=note, fields=[])
