"""Liveness of the portfolio queue."""

from celery import shared_task


@shared_task(name="apps.portfolio.tasks.ping")
def ping() -> dict:
    """Round trip through this engine's queue: health checks and `bench platform` use it."""
    return {"engine": "portfolio", "ok": True}
