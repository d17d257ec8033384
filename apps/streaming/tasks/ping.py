from celery import shared_task


@shared_task(name="apps.streaming.tasks.ping")
def ping() -> dict:
    """Round trip through this engine's queue: health checks and `bench platform` use it."""
    return {"engine": "streaming", "ok": True}
