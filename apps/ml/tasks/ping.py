from celery import shared_task


@shared_task(name="apps.ml.tasks.ping")
def ping() -> dict:
    """Round trip through this engine's queue: health checks and `bench platform` use it."""
    return {"engine": "ml", "ok": True}
