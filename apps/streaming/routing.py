"""WebSocket routes, mounted by nautilus/asgi.py under origin checks and token/session auth."""

from channels.security.websocket import WebsocketDenier
from django.urls import re_path

from .api.feeds import MarketFeed, PortfolioFeed, RiskFeed
from .api.stream import StreamConsumer

websocket_urlpatterns: list = [
    re_path(r"^ws/stream/?$", StreamConsumer.as_asgi()),
    re_path(r"^ws/market/(?P<key>[^/]+)/?$", MarketFeed.as_asgi()),
    re_path(r"^ws/portfolio/(?P<key>[^/]+)/?$", PortfolioFeed.as_asgi()),
    re_path(r"^ws/risk/(?P<key>[^/]+)/?$", RiskFeed.as_asgi()),
    # Any other path: refused at the handshake (HTTP 403), not the router's "No route" exception (500).
    re_path(r"", WebsocketDenier.as_asgi()),
]
