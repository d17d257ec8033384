"""ASGI entry point: Django for HTTP, Channels for WebSockets (token/session auth; the Origin check
applies to connections not authenticated by a token, see apps.platform.ws_auth)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nautilus.settings.local")
django_asgi_app = get_asgi_application()  # must run before importing consumers (app registry)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.platform.ws_auth import websocket_stack  # noqa: E402
from apps.streaming.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
    }
)
