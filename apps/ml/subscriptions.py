"""Bus subscriptions of the ML engine (registered from the app's ready()): every new bar fills the
outcomes of the recorded predictions it completes (tasks/outcomes.py)."""

from apps.platform import bus

ON_BAR_TASK = "apps.ml.tasks.outcomes.outcomes_on_bar"


def register() -> None:
    bus.subscriber("market.data.bars.*", ON_BAR_TASK)
