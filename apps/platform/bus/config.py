"""Where the bus points: configure() for tests and tools, reset() back to settings."""

from __future__ import annotations

from . import connection, publisher


def configure(
    *,
    url: str | None = None,
    prefix: str | None = None,
    maxlen: int | None = None,
    buffer_size: int | None = None,
) -> None:
    """Point the bus elsewhere (tests, tools). Buffered events and counters are kept, so pointing it
    back at a live Redis and publishing or flush()ing sends them: that is a reconnect."""
    connection.set_config(url=url, prefix=prefix, maxlen=maxlen, buffer_size=buffer_size)
    publisher.reconnect()


def reset() -> None:
    """Back to settings, with an empty buffer and zeroed counters (test isolation)."""
    connection.clear_config()
    publisher.reset_state()
