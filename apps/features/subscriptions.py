"""Bus subscriptions of the features engine: none yet."""


def register() -> None:
    """Nothing to subscribe to yet."""
