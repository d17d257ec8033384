"""Bus subscriptions of the factors engine: none yet."""


def register() -> None:
    """Nothing to subscribe to yet."""
