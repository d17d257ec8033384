"""WebSocket routes, mounted by nautilus/asgi.py under origin checks and token/session auth."""

from django.urls import re_path

from .consumers import StreamConsumer

websocket_urlpatterns: list = [
    re_path(r"^ws/stream/?$", StreamConsumer.as_asgi()),
]
