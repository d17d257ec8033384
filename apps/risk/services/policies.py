"""Escalation policy writes (API and admin): a policy with its full list of levels; one default at a
time. Any change clears the climbing breaches' schedules so the next escalation tick recomputes them."""

from __future__ import annotations

from django.db import transaction

from ..models import EscalationLevel, EscalationPolicy
from .escalation import schedules_clear


def _levels_write(policy: EscalationPolicy, levels: list[dict]) -> None:
    policy.levels.all().delete()
    EscalationLevel.objects.bulk_create(
        EscalationLevel(
            policy=policy,
            level=lv["level"],
            delay_seconds=lv["delay_seconds"],
            channels=list(lv["channels"]),
            emails=", ".join(lv.get("emails") or ()),
            webhook_url=lv.get("webhook_url") or "",
        )
        for lv in levels
    )


def _default_take(policy: EscalationPolicy) -> None:
    """One default at a time: naming a new one demotes the old (the constraint would refuse two)."""
    EscalationPolicy.objects.filter(is_default=True).exclude(pk=policy.pk).update(is_default=False)


@transaction.atomic
def policy_create(*, data: dict, user=None) -> EscalationPolicy:
    """`data` as validated by the API serializer: name, description, is_default, levels (a full list)."""
    policy = EscalationPolicy(
        name=data["name"], description=data.get("description", ""), is_default=data.get("is_default", False)
    )
    if policy.is_default:
        _default_take(policy)
    policy.save()
    _levels_write(policy, data.get("levels") or [])
    schedules_clear()
    return policy


@transaction.atomic
def policy_update(*, policy_id: int, data: dict, user=None) -> EscalationPolicy:
    """Partial update; `levels`, when given, replaces every level. Breaches climbing are rescheduled."""
    policy = EscalationPolicy.objects.select_for_update().get(pk=policy_id)
    for field in ("name", "description", "is_default"):
        if field in data:
            setattr(policy, field, data[field])
    if policy.is_default:
        _default_take(policy)
    policy.save()
    if "levels" in data:
        _levels_write(policy, data["levels"])
    schedules_clear()
    return policy


@transaction.atomic
def policy_delete(*, policy_id: int, user=None) -> None:
    """Limits that named it fall back to the default policy (the FK is SET_NULL)."""
    EscalationPolicy.objects.get(pk=policy_id).delete()
    schedules_clear()
