"""Bus subscriptions of the market-data engine: none. Market data is the source the other engines
listen to (the feeds publish market.data.quotes.*, market.data.level2.* and market.data.bars.*); the
engine itself reacts to no topic, so `register()` subscribes nothing."""


def register() -> None:
    """Nothing to subscribe (kept so every engine has the same entry)."""
