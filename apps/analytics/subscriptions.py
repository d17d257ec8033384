"""Bus subscriptions of the analytics engine (registered from AnalyticsConfig.ready())."""

from apps.platform import bus

PNL_TASK = "apps.analytics.tasks.pnl_on_event"
PNL_TOPICS = ("trading.executions.*", "market.data.bars.*")


def register() -> None:
    for pattern in PNL_TOPICS:
        bus.subscriber(pattern, PNL_TASK)
