"""Bus subscriptions of the risk engine (registered from RiskConfig.ready()): a new bar, an
execution or a cash movement (`trading.positions.*` of kind "cash": NAV moved, so exposure limits
relative to it did) runs the monitor step for the portfolios it touches."""

from apps.platform import bus

CHECK_TASK = "apps.risk.tasks_monitor.check_on_event"
CHECK_TOPICS = ("market.data.bars.*", "trading.executions.*", "trading.positions.*")


def register() -> None:
    for pattern in CHECK_TOPICS:
        bus.subscriber(pattern, CHECK_TASK)
