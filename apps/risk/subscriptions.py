"""Bus subscriptions of the risk engine (registered from RiskConfig.ready()): a new bar or an
execution runs the monitor step for the portfolios it touches."""

from apps.platform import bus

CHECK_TASK = "apps.risk.tasks_monitor.check_on_event"
CHECK_TOPICS = ("market.data.bars.*", "trading.executions.*")


def register() -> None:
    for pattern in CHECK_TOPICS:
        bus.subscriber(pattern, CHECK_TASK)
