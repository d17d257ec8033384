"""Bus subscriptions of the strategies engine: none yet."""


def register() -> None:
    """Nothing to subscribe to yet."""
