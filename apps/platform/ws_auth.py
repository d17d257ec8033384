"""WebSocket auth: a DRF token given as `?token=` or an `Authorization: Token …` header (programs),
falling back to the session (browsers). A bad or missing token leaves the session user, usually
AnonymousUser; consumers decide what an anonymous connection gets (ws/stream closes with 4401).

The Origin check guards against cross-site WebSocket hijacking, which rides on the browser's
ambient session cookie. A valid token is no ambient credential (a page must already hold it), so a
connection the token authenticated skips the check: services and scripts send no Origin. Anything
else (session, bad token falling back to the session, anonymous) must come from an allowed Origin."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddleware
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import AllowedHostsOriginValidator
from channels.sessions import CookieMiddleware, InstanceSessionWrapper, SessionMiddleware

# Set in the scope by TokenAuthMiddleware when a valid token authenticated the connection.
AUTH_BY_TOKEN = "nautilus.auth_by_token"


def token_from_scope(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            kind, _, key = value.decode("latin-1").strip().partition(" ")
            if kind.lower() == "token" and key.strip():
                return key.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get("token")
    return values[0] if values and values[0] else None


@database_sync_to_async
def user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    try:
        token = Token.objects.select_related("user").get(key=key)
    except Token.DoesNotExist:
        return None
    return token.user if token.user.is_active else None


class TokenAuthMiddleware(BaseMiddleware):
    """Sits inside Channels' AuthMiddleware, so a valid token overrides the session user."""

    async def __call__(self, scope, receive, send):
        key = token_from_scope(scope)
        if key:
            user = await user_for_token(key)
            if user is not None:
                scope = dict(scope, user=user, **{AUTH_BY_TOKEN: True})
        return await super().__call__(scope, receive, send)


class OriginValidatorUnlessToken:
    """AllowedHostsOriginValidator for every connection the token did not authenticate."""

    def __init__(self, inner):
        self.inner = inner
        self.checked = AllowedHostsOriginValidator(inner)

    async def __call__(self, scope, receive, send):
        app = self.inner if scope.get(AUTH_BY_TOKEN) else self.checked
        return await app(scope, receive, send)


class WebSocketSessionMiddleware(SessionMiddleware):
    """Channels' SessionMiddleware without its wrapped `send`. The wrapper saves a modified session
    only on `http.response.start`, which a WebSocket never sends, yet it inspects the session on
    every frame: ~14 % of the server's time per delivered event in a profile of `bench streaming`.
    The session is still read at connect, for AuthMiddleware's user."""

    async def __call__(self, scope, receive, send):
        wrapper = InstanceSessionWrapper(scope, send)
        await wrapper.resolve_session()
        return await self.inner(wrapper.scope, receive, send)


def TokenAuthMiddlewareStack(inner):  # noqa: N802 - mirrors Channels' AuthMiddlewareStack
    return CookieMiddleware(WebSocketSessionMiddleware(AuthMiddleware(TokenAuthMiddleware(inner))))


def websocket_stack(inner):
    """Auth first (token, else session), then the Origin check for all but token connections."""
    return TokenAuthMiddlewareStack(OriginValidatorUnlessToken(inner))
