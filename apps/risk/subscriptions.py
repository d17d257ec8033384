"""Bus subscriptions of the risk engine (registered from RiskConfig.ready()): a new bar, an
execution or a cash movement (`trading.positions.*` of kind "cash": NAV moved, so exposure limits
relative to it did) runs the monitor step for the portfolios it touches.

At critical priority whatever the topic's (a bar is "high"): the check goes ahead of everything
else the same bar fans out (features, factors, ML outcomes, analytics' P&L), also on a worker that
consumes every queue (`make up-compact`), where it would otherwise wait its turn behind them."""

from apps.platform import bus

CHECK_TASK = "apps.risk.tasks_monitor.check_on_event"
CHECK_TOPICS = ("market.data.bars.*", "trading.executions.*", "trading.positions.*")


def register() -> None:
    for pattern in CHECK_TOPICS:
        bus.subscriber(pattern, CHECK_TASK, priority="critical")
