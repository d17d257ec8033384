"""Streaming P&L tasks and the engine's ping: thin, codes in, the work in services.streaming."""

from celery import shared_task

from ..services import streaming


@shared_task(name="apps.analytics.tasks.ping")
def ping() -> dict:
    """Round trip through this engine's queue: health checks and `bench platform` use it."""
    return {"engine": "analytics", "ok": True}


def _schedule_trailing(codes: list[str], delay_seconds: float) -> None:
    pnl_recompute.apply_async(args=[codes], countdown=delay_seconds)


@shared_task(name="apps.analytics.tasks.pnl_on_event", ignore_result=True)
def pnl_on_event(event: dict) -> dict:
    """Bus subscriber for trading.executions.*, trading.positions.* (cash movements) and
    market.data.bars.*: P&L of the touched portfolios, published on analytics.performance.{portfolio},
    coalesced per portfolio."""
    codes = streaming.portfolios_affected(event)
    return streaming.pnl_publish(codes=codes, schedule_trailing=_schedule_trailing)


@shared_task(name="apps.analytics.tasks.pnl_recompute", ignore_result=True)
def pnl_recompute(codes: list[str] | str) -> dict:
    """The trailing recompute of coalesced windows: every portfolio one event deferred. A single
    code is what messages queued before the recompute was batched carry."""
    return streaming.pnl_publish_trailing(codes=[codes] if isinstance(codes, str) else list(codes))
