"""Escalation tasks: the Beat tick (every 5 s, expires 4 s) and the retrying webhook delivery."""

from __future__ import annotations

from celery import shared_task

from ..services import escalation


@shared_task(name="apps.risk.tasks_escalation.escalation_tick", ignore_result=True)
def escalation_tick() -> dict:
    return escalation.escalation_tick()


@shared_task(
    name="apps.risk.tasks_escalation.webhook_deliver",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def webhook_deliver(delivery_id: int) -> dict:
    """One attempt; a transient failure schedules the next one with a countdown (the delivery row
    keeps attempts and the last error, so the task itself carries only the id)."""
    return escalation.webhook_attempt(
        delivery_id=delivery_id,
        schedule_retry=lambda countdown: webhook_deliver.apply_async(args=[delivery_id], countdown=countdown),
    )
