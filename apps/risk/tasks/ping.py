from celery import shared_task


@shared_task(name="apps.risk.tasks.ping")
def ping() -> dict:
    """Round trip through this engine's queue: health checks and `bench platform` use it."""
    return {"engine": "risk", "ok": True}
