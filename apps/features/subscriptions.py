"""Bus subscriptions of the features engine (registered from the app's ready()): every new bar
updates the stored features of its instrument (tasks/incremental.py)."""

from apps.platform import bus

ON_BAR_TASK = "apps.features.tasks.incremental.update_on_bar"


def register() -> None:
    bus.subscriber("market.data.bars.*", ON_BAR_TASK)
