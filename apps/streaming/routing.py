"""WebSocket routes, mounted by nautilus/asgi.py under origin checks and token/session auth."""

from channels.security.websocket import WebsocketDenier
from django.urls import re_path

from .api.stream import StreamConsumer

websocket_urlpatterns: list = [
    re_path(r"^ws/stream/?$", StreamConsumer.as_asgi()),
    # Any other path: refused at the handshake (HTTP 403), not the router's "No route" exception (500).
    re_path(r"", WebsocketDenier.as_asgi()),
]
