"""Bus subscriptions of the analytics engine (registered from AnalyticsConfig.ready()): an
execution, a cash movement (`trading.positions.*` of kind "cash": NAV moved) or a new bar updates the
streaming P&L of the portfolios it touches."""

from apps.platform import bus

PNL_TASK = "apps.analytics.tasks.pnl_on_event"
PNL_TOPICS = ("trading.executions.*", "trading.positions.*", "market.data.bars.*")


def register() -> None:
    for pattern in PNL_TOPICS:
        bus.subscriber(pattern, PNL_TASK)
