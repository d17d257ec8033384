"""Bus subscriptions of the factors engine (registered from the app's ready()): every new bar
extends the stored factors whose universe holds its instrument (tasks/incremental.py)."""

from apps.platform import bus

ON_BAR_TASK = "apps.factors.tasks.incremental.update_on_bar"


def register() -> None:
    bus.subscriber("market.data.bars.*", ON_BAR_TASK)
