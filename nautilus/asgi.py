"""ASGI entry point: Django for HTTP, Channels for WebSockets (token/session auth; the Origin check
applies to connections not authenticated by a token, see apps.platform.ws_auth).

HTTP goes through Django's WSGI handler on a fixed pool of WEB_THREADS threads (a2wsgi), not through
Django's ASGI handler. Every view here is synchronous, and the ASGI handler pays for that per request:
a new thread per request (so no persistent database connection is ever reused: each request opened a
new PostgreSQL session), and one thread hop for each middleware's request and response steps (21 hops
a request with our middleware). Measured on this 2-core machine with uvicorn, p50 / p99: a 404 went
from 6.9-8.9 / 14.6-17.7 ms to 1.5-3.0 / 2.8-8.4 ms, a refused API request (token auth, throttle,
DRF, a 400) from 13.7-16.0 / 24.9-31.2 ms to 5.7-7.8 / 9.2-15.2 ms. The WSGI path is also the one
the test suite's client exercises. apps/platform/asgi_http.py builds it.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nautilus.settings.local")
django_wsgi_app = get_wsgi_application()  # sets Django up: before importing consumers (app registry)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from apps.platform.asgi_http import http_application  # noqa: E402
from apps.platform.ws_auth import websocket_stack  # noqa: E402
from apps.streaming.routing import websocket_urlpatterns  # noqa: E402

# Everything imported so far lives as long as the process: move it out of the collector's sight, so
# a full collection walks only what requests made (Instagram's gc.freeze; a p99 spike otherwise).
gc.freeze()

application = ProtocolTypeRouter(
    {
        "http": http_application(django_wsgi_app, threads=settings.WEB_THREADS),
        "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
    }
)
