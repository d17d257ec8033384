"""ASGI entry point: Django for HTTP, Channels for WebSockets (origin-checked, token/session auth)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nautilus.settings.local")
django_asgi_app = get_asgi_application()  # must run before importing consumers (app registry)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from apps.platform.ws_auth import TokenAuthMiddlewareStack  # noqa: E402
from apps.streaming.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(TokenAuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
