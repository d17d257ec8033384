"""The engine's health round trip."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="apps.marketdata.tasks.ping")
def ping() -> dict:
    """Round trip through this engine's queue: health checks and `bench platform` use it."""
    return {"engine": "marketdata", "ok": True}
