"""Streaming P&L: which portfolios an event touches, and their publication, coalesced per portfolio.

The platform's Redis coalescer (`apps.platform.coalescer.Coalescer`, one window per portfolio code)
is shared by every worker process: the first update in a window publishes at once and holds the
window for ANALYTICS_PUBLISH_MIN_INTERVAL_MS; updates inside the window are coalesced into one
trailing recompute scheduled for when the window closes, so the last state is never lost.
"""

from __future__ import annotations

from django.conf import settings

from apps.platform import bus
from apps.platform.coalescer import Coalescer

from ..selectors import sources
from ..selectors.pnl import calculate_payload, portfolios_pnl

TOPIC = "analytics.performance.{portfolio}"


def min_interval_ms() -> int:
    return int(getattr(settings, "ANALYTICS_PUBLISH_MIN_INTERVAL_MS", 1000))


def coalescer() -> Coalescer:
    """The per-portfolio window (key: the portfolio code), sized from the current setting."""
    return Coalescer("analytics:pnl", window_ms=min_interval_ms())


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
        return sources.portfolio_codes_holding([symbol]) if symbol else []
    return []


def _publish(codes: list[str]) -> list[str]:
    published = []
    results = portfolios_pnl(portfolios=codes) if codes else {}
    for code, result in results.items():
        payload = calculate_payload(result, portfolio=code, source="book")
        bus.publish(TOPIC.format(portfolio=code), payload)
        published.append(code)
    return published


def pnl_publish(*, codes: list[str], schedule_trailing) -> dict:
    """Recompute and publish P&L for the codes whose window is open; defer the others once.

    `schedule_trailing(codes, delay_seconds)` enqueues ONE trailing recompute for every code this
    event deferred (the task layer passes Celery's apply_async so this stays testable): a bar held
    by many portfolios used to queue one task per portfolio, each paying the P&L read's fixed cost,
    and that stream of tasks kept a shared worker's processes busy when a risk check arrived. The
    delay is the latest of their windows' ends (a bar's portfolios opened theirs together), so no
    trailing run starts before its window has closed."""
    window = coalescer()
    due, deferred, delay = [], [], 0.0
    for code in dict.fromkeys(codes):
        offer = window.offer(code)
        if offer.run_now:
            due.append(code)
        elif offer.trailing_delay is not None:
            deferred.append(code)
            delay = max(delay, offer.trailing_delay)
    if deferred:
        schedule_trailing(deferred, delay)
    return {"published": _publish(due), "deferred": deferred}


def pnl_publish_trailing(*, codes: list[str]) -> dict:
    """The trailing recompute of coalesced windows: opens a new window per portfolio (updates during
    it coalesce again) and publishes their latest P&L in one read."""
    window = coalescer()
    for code in codes:
        window.trailing(code)
    return {"published": _publish(list(codes)), "deferred": []}
