"""Bus subscriptions of the ML engine: none yet."""


def register() -> None:
    """Nothing to subscribe to yet."""
