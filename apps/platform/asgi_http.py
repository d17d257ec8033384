"""The web process's HTTP entry: Django's WSGI handler on a fixed pool of threads, under ASGI
(nautilus/asgi.py says why it is not Django's ASGI handler).

One difference from Django's ASGI handler is closed here: a WSGI view reads at most CONTENT_LENGTH
bytes of the body, so a request sent without that header (chunked transfer encoding) would reach
the view with an empty body. Such a request's body is read whole first and handed on with its length.
"""

from __future__ import annotations

from a2wsgi import WSGIMiddleware

_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class _BodyLength:
    """ASGI middleware: give a body-carrying request without Content-Length one."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if (
            scope["type"] != "http"
            or scope["method"] not in _BODY_METHODS
            or any(name == b"content-length" for name, _ in scope["headers"])
        ):
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        scope = {**scope, "headers": [*scope["headers"], (b"content-length", str(len(body)).encode())]}
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: the disconnect, when it comes
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)


def http_application(wsgi_application, *, threads: int):
    """The ASGI application serving `wsgi_application` on `threads` threads."""
    return _BodyLength(WSGIMiddleware(wsgi_application, workers=threads))
