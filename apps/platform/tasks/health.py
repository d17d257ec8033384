"""The platform heartbeat (Beat, every few seconds): worker and queue health for /health and the
engine list."""

from __future__ import annotations

from celery import shared_task

from ..health import heartbeat_publish


# Periodic and idempotent: a lost heartbeat is replaced by the next one, so no late ack.
@shared_task(name="apps.platform.tasks.heartbeat", acks_late=False, ignore_result=True)
def heartbeat() -> dict:
    return heartbeat_publish()
