"""Streaming P&L: which portfolios an event touches, and a per-portfolio publication throttle.

The throttle is a Redis key per portfolio (SET NX PX), so every worker process shares it: the
first update in a window publishes at once and holds the key for ANALYTICS_PUBLISH_MIN_INTERVAL_MS;
updates inside the window are coalesced into one trailing recompute scheduled for when the window
closes (a second Redis key makes sure only one is scheduled), so the last state is never lost.
"""

from __future__ import annotations

from django.conf import settings

from apps.platform import bus
from apps.platform.bus import connection

from .. import selectors
from ..serializers_pnl import calculate_payload
from .pnl import portfolios_pnl

TOPIC = "analytics.performance.{portfolio}"


def min_interval_ms() -> int:
    return int(getattr(settings, "ANALYTICS_PUBLISH_MIN_INTERVAL_MS", 1000))


def _key(kind: str, code: str) -> str:
    return f"{connection.config().prefix}analytics:pnl:{kind}:{code}"


def portfolios_affected(event: dict) -> list[str]:
    """Portfolio codes an execution, a cash movement or a new bar concerns. A trade's own position
    event is not one: its execution already triggers the update."""
    topic, payload = event.get("topic", ""), event.get("payload") or {}
    cash = topic.startswith("trading.positions.") and payload.get("kind") == "cash"
    if topic.startswith("trading.executions.") or cash:
        code = payload.get("portfolio") or topic.rsplit(".", 1)[-1]
        return [code]
    if topic.startswith("market.data.bars."):
        symbol = payload.get("symbol")
        return selectors.portfolio_codes_holding([symbol]) if symbol else []
    return []


def pnl_publish(*, codes: list[str], schedule_trailing) -> dict:
    """Recompute and publish P&L for the codes whose window is open; defer the others once.

    `schedule_trailing(code, delay_seconds)` enqueues the trailing recompute (the task layer passes
    Celery's apply_async so this stays testable)."""
    r = connection.client()
    interval = min_interval_ms()
    due, deferred = [], []
    for code in dict.fromkeys(codes):
        if r.set(_key("throttle", code), 1, nx=True, px=interval):
            due.append(code)
            continue
        if r.set(_key("pending", code), 1, nx=True, px=interval):
            remaining = max(r.pttl(_key("throttle", code)), 0)
            schedule_trailing(code, remaining / 1000.0)
            deferred.append(code)
    published = []
    results = portfolios_pnl(portfolios=due) if due else {}
    for code, result in results.items():
        payload = calculate_payload(result, portfolio=code, source="book")
        bus.publish(TOPIC.format(portfolio=code), payload)
        published.append(code)
    return {"published": published, "deferred": deferred}


def pending_clear(code: str) -> None:
    connection.client().delete(_key("pending", code))
