"""Escalation: an unacknowledged breach climbs its policy's levels on time, and each level's channels
are alerted exactly once.

Timing: level n fires when `now >= opened_at + delay_seconds(n)`. `escalation_tick` (Beat, every 5 s)
reads only breaches whose `next_escalation_at` is due or not yet scheduled (the index
(status, next_escalation_at)); a breach opened by the monitor without a schedule, or one whose
schedule was cleared by a policy edit, is scheduled on its first tick. A breach with nothing left to
fire keeps a null schedule and is re-read each tick: cheap while open breaches are few, and it lets
a policy created later still reach it.

Once only: each breach is locked (SKIP LOCKED, so two ticks at once split the work instead of
waiting), and each (breach, level, channel, target) is an AlertDelivery row whose unique constraint
refuses a second insert, so a rerun or a race never sends twice. Sends happen after commit: a rolled
back tick alerts nobody. Bus and email are sent inline; a webhook goes to a Celery task that retries
transient failures (connection errors, timeouts, 5xx) with exponential backoff and jitter.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.platform import bus

from ..models import (
    AlertChannel,
    AlertDelivery,
    Breach,
    BreachEvent,
    BreachStatus,
    DeliveryStatus,
    EscalationLevel,
    EscalationPolicy,
)
from .breach_events import breach_payload, breach_publish

log = logging.getLogger("apps.risk.escalation")

CLIMBING = (BreachStatus.OPEN, BreachStatus.ESCALATED)  # statuses the clock still moves
WEBHOOK_TASK = "apps.risk.tasks_escalation.webhook_deliver"
BACKOFF_CAP_SECONDS = 600.0


@dataclass(frozen=True)
class Level:
    """One policy level, detached from the ORM so a tick loads every policy once."""

    policy: str
    level: int
    delay_seconds: int
    channels: tuple[str, ...]
    emails: tuple[str, ...]
    webhook_url: str


def split_emails(text: str) -> tuple[str, ...]:
    return tuple(e.strip() for e in (text or "").replace(";", ",").split(",") if e.strip())


def _as_level(row: EscalationLevel, policy_name: str) -> Level:
    return Level(
        policy=policy_name,
        level=row.level,
        delay_seconds=row.delay_seconds,
        channels=tuple(row.channels or ()),
        emails=split_emails(row.emails),
        webhook_url=row.webhook_url,
    )


class PolicyBook:
    """Every policy's levels (ordered) and which policy is the default, read in two queries."""

    def __init__(self) -> None:
        self.levels: dict[int, list[Level]] = {}
        names = dict(EscalationPolicy.objects.values_list("pk", "name"))
        for row in EscalationLevel.objects.order_by("policy_id", "level"):
            self.levels.setdefault(row.policy_id, []).append(_as_level(row, names[row.policy_id]))
        self.default_id = (
            EscalationPolicy.objects.filter(is_default=True).values_list("pk", flat=True).first()
        )

    def for_breach(self, breach: Breach) -> list[Level]:
        """The limit's own policy, else the default one (also for a breach whose limit is gone)."""
        policy_id = breach.limit.escalation_policy_id if breach.limit_id and breach.limit else None
        return self.levels.get(policy_id or self.default_id, [])


def next_level(levels: list[Level], current: int) -> Level | None:
    return next((lv for lv in levels if lv.level > current), None)


def due_levels(levels: list[Level], *, current: int, opened_at: datetime, now: datetime) -> list[Level]:
    """Levels above `current` whose delay has passed, in firing order."""
    return [
        lv for lv in levels if lv.level > current and opened_at + timedelta(seconds=lv.delay_seconds) <= now
    ]


def next_escalation_time(breach: Breach, levels: list[Level]) -> datetime | None:
    """When the next level is due; None when acknowledged, resolved or at the top."""
    if breach.acknowledged_at is not None or breach.status not in CLIMBING:
        return None
    nxt = next_level(levels, breach.escalation_level)
    return None if nxt is None else breach.opened_at + timedelta(seconds=nxt.delay_seconds)


# --- firing a level ---------------------------------------------------------------------------------


def alert_payload(breach: Breach, level: Level) -> dict:
    """What every channel carries: the breach as published on risk.breaches.*, plus the level."""
    return {
        "type": "risk.breach.escalated",
        "level": level.level,
        "policy": level.policy,
        "breach": breach_payload(breach),
    }


def level_fire(
    *, breach: Breach, level: Level, now: datetime, by=None, note: str = ""
) -> list[AlertDelivery]:
    """Raise a locked breach to `level`: status, timestamps, a timeline event and one delivery row per
    channel target, sent after commit. Returns the deliveries this call created (a rerun creates
    none: the unique constraint refuses them, and nothing is sent twice). Caller saves the breach."""
    breach.status = BreachStatus.ESCALATED
    breach.escalation_level = level.level
    breach.escalated_at = now
    breach.escalated_by = by
    BreachEvent.objects.create(
        breach=breach,
        at=now,
        action="escalated",
        by=by,
        detail={
            "level": level.level,
            "policy": level.policy,
            "channels": list(level.channels),
            "auto": by is None,
            **({"note": note} if note else {}),
        },
    )
    created: list[AlertDelivery] = []
    for channel, target in _targets(breach, level):
        try:
            with transaction.atomic():  # a savepoint: a duplicate leaves the outer work intact
                delivery = AlertDelivery.objects.create(
                    breach=breach, level=level.level, channel=channel, target=target
                )
        except IntegrityError:
            continue  # sent (or being sent) by an earlier run
        created.append(delivery)
        transaction.on_commit(lambda d=delivery.pk, lv=level: delivery_send(delivery_id=d, level=lv))
    return created


def _targets(breach: Breach, level: Level) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for channel in level.channels:
        if channel == AlertChannel.BUS:
            out.append((channel, f"risk.alerts.{breach.portfolio.code}"))
        elif channel == AlertChannel.EMAIL:
            out.extend((channel, addr) for addr in level.emails)
        elif channel == AlertChannel.WEBHOOK and level.webhook_url:
            out.append((channel, level.webhook_url))
    return out


def delivery_send(*, delivery_id: int, level: Level) -> None:
    """Send one committed delivery: bus and email now, a webhook through its retrying task."""
    delivery = AlertDelivery.objects.select_related("breach", "breach__portfolio", "breach__limit").get(
        pk=delivery_id
    )
    if delivery.channel == AlertChannel.WEBHOOK:
        _webhook_enqueue(delivery_id)
        return
    payload = alert_payload(delivery.breach, level)
    try:
        if delivery.channel == AlertChannel.BUS:
            event_id = bus.publish(delivery.target, payload, priority="critical")
            error = "" if event_id else "Redis unreachable: buffered by the bus, sent when it returns"
        else:
            subject, body = _email_text(payload)
            send_mail(subject, body, settings.RISK_ALERT_EMAIL_FROM, [delivery.target], fail_silently=False)
            error = ""
    except Exception as exc:  # noqa: BLE001 - any channel fault is recorded on the row, never raised
        log.exception("alert %s to %s failed", delivery.channel, delivery.target)
        _delivery_finish(delivery_id, status=DeliveryStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        return
    _delivery_finish(delivery_id, status=DeliveryStatus.SENT, error=error)


def _delivery_finish(delivery_id: int, *, status: str, error: str, attempts_add: int = 1) -> None:
    AlertDelivery.objects.filter(pk=delivery_id).update(
        status=status,
        attempts=F("attempts") + attempts_add,
        last_error=error[:2000],
        sent_at=timezone.now() if status == DeliveryStatus.SENT else None,
    )


def _email_text(payload: dict) -> tuple[str, str]:
    b = payload["breach"]
    subject = (
        f"[Nautilus risk] L{payload['level']} {b.get('severity', '')} {b.get('limit_type', '')} "
        f"breach on {b.get('portfolio', '')}"
    )
    lines = [f"Escalation level {payload['level']} of policy {payload['policy']!r}.", ""]
    lines += [f"{k}: {v}" for k, v in b.items()]
    return subject, "\n".join(lines)


def _webhook_enqueue(delivery_id: int) -> None:
    """By name, so services never import tasks; routed to the risk queue like every apps.risk task."""
    from nautilus.celery import app as celery_app

    try:
        celery_app.send_task(WEBHOOK_TASK, args=[delivery_id])
    except Exception as exc:  # noqa: BLE001 - broker down: the row says so instead of staying pending
        log.exception("could not enqueue webhook delivery %s", delivery_id)
        _delivery_finish(
            delivery_id, status=DeliveryStatus.FAILED, error=f"could not enqueue: {exc}", attempts_add=0
        )


# --- the tick ---------------------------------------------------------------------------------------


def escalation_tick(now: datetime | None = None) -> dict:
    """Fire every due level of every climbing, unacknowledged breach; keep next_escalation_at current."""
    now = now or timezone.now()
    policies = PolicyBook()
    candidates = list(
        Breach.objects.filter(status__in=CLIMBING, acknowledged_at__isnull=True)
        .filter(Q(next_escalation_at__lte=now) | Q(next_escalation_at__isnull=True))
        .order_by("opened_at", "pk")
        .values_list("pk", flat=True)
    )
    fired = deliveries = 0
    for breach_id in candidates:
        f, d = _breach_tick(breach_id, policies, now)
        fired += f
        deliveries += d
    return {"candidates": len(candidates), "levels_fired": fired, "deliveries": deliveries}


@transaction.atomic
def _breach_tick(breach_id: int, policies: PolicyBook, now: datetime) -> tuple[int, int]:
    breach = (
        Breach.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("limit", "portfolio")
        .filter(pk=breach_id, status__in=CLIMBING, acknowledged_at__isnull=True)
        .first()
    )
    if breach is None:  # acknowledged/resolved since, or another tick holds it
        return 0, 0
    levels = policies.for_breach(breach)
    due = due_levels(levels, current=breach.escalation_level, opened_at=breach.opened_at, now=now)
    deliveries = 0
    for level in due:
        deliveries += len(level_fire(breach=breach, level=level, now=now))
    scheduled = next_escalation_time(breach, levels)
    if not due and scheduled == breach.next_escalation_at:
        return 0, 0
    breach.next_escalation_at = scheduled
    breach.save(
        update_fields=["status", "escalation_level", "escalated_at", "escalated_by", "next_escalation_at"]
    )
    if due:
        transaction.on_commit(lambda: breach_publish(breach, "escalated"))
    return len(due), deliveries


def schedules_clear() -> int:
    """Forget every climbing breach's schedule so the next tick recomputes it (after a policy edit)."""
    return Breach.objects.filter(status__in=CLIMBING, acknowledged_at__isnull=True).update(
        next_escalation_at=None
    )


# --- webhooks ---------------------------------------------------------------------------------------


def backoff_seconds(retry: int, *, base: float, rng: Callable[[], float] | None = None) -> float:
    """Delay before retry number `retry` (1, 2, ...): exponential with "equal jitter" —
    half of base·2^(retry−1) fixed, the other half uniform — so retries from many breaches spread out
    but never come sooner than half the nominal delay. Capped at BACKOFF_CAP_SECONDS."""
    nominal = min(base * 2 ** (retry - 1), BACKOFF_CAP_SECONDS)
    return nominal / 2 + (rng or random.random)() * nominal / 2


def webhook_attempt(
    *,
    delivery_id: int,
    schedule_retry: Callable[[float], None],
    rng: Callable[[], float] | None = None,
) -> dict:
    """One POST of a webhook delivery. 2xx → sent; 4xx (and other non-retryable answers) → failed;
    connection error, timeout or 5xx → retry after backoff_seconds until RISK_WEBHOOK_MAX_RETRIES
    retries are spent, then failed. Idempotent: a delivery no longer pending is left alone, and the
    attempt is claimed by a compare-and-set on `attempts`, so a redelivered task never posts twice."""
    row = AlertDelivery.objects.filter(pk=delivery_id).values("status", "attempts", "level", "target").first()
    if row is None or row["status"] != DeliveryStatus.PENDING:
        return {"delivery": delivery_id, "skipped": True}
    attempt = row["attempts"] + 1
    claimed = AlertDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, attempts=row["attempts"]
    ).update(attempts=attempt)
    if not claimed:
        return {"delivery": delivery_id, "skipped": True}

    delivery = AlertDelivery.objects.select_related("breach", "breach__portfolio", "breach__limit").get(
        pk=delivery_id
    )
    level = _level_of(delivery)
    retryable, error = _post(row["target"], alert_payload(delivery.breach, level))
    out = {"delivery": delivery_id, "attempt": attempt}
    if error is None:
        AlertDelivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
        )
        return out | {"status": DeliveryStatus.SENT}
    if retryable and attempt <= settings.RISK_WEBHOOK_MAX_RETRIES:
        delay = backoff_seconds(attempt, base=settings.RISK_WEBHOOK_BACKOFF_SECONDS, rng=rng)
        AlertDelivery.objects.filter(pk=delivery_id).update(last_error=error[:2000])
        schedule_retry(delay)
        return out | {"status": DeliveryStatus.PENDING, "retry_in": delay, "error": error}
    AlertDelivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.FAILED, last_error=error[:2000])
    return out | {"status": DeliveryStatus.FAILED, "error": error}


def _level_of(delivery: AlertDelivery) -> Level:
    """The level as configured now; if the policy changed since, a bare record of the level number."""
    levels = PolicyBook().for_breach(delivery.breach)
    found = next((lv for lv in levels if lv.level == delivery.level), None)
    return found or Level(
        policy="", level=delivery.level, delay_seconds=0, channels=(), emails=(), webhook_url=""
    )


def _post(url: str, payload: dict) -> tuple[bool, str | None]:
    """(retryable, error); error None on success."""
    try:
        resp = requests.post(url, json=payload, timeout=settings.RISK_WEBHOOK_TIMEOUT_SECONDS)
    except (requests.ConnectionError, requests.Timeout) as exc:
        return True, f"{type(exc).__name__}: {exc}"
    except requests.RequestException as exc:  # bad URL, too many redirects...: retrying will not help
        return False, f"{type(exc).__name__}: {exc}"
    if 200 <= resp.status_code < 300:
        return False, None
    error = f"HTTP {resp.status_code}: {resp.text[:500]}"
    return resp.status_code >= 500, error
