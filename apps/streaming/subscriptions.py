"""Bus subscriptions of the streaming engine: none yet."""


def register() -> None:
    """Nothing to subscribe to yet."""
