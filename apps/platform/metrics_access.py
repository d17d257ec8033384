"""Who may read GET /metrics: client networks and/or a bearer token (settings METRICS_*).

The figures name engines, queues, task names and traffic, so production does not serve them to
the world. A request passes when its client address is in METRICS_ALLOWED_NETWORKS or it carries
`Authorization: Bearer <METRICS_BEARER_TOKEN>`. METRICS_ALLOWED_NETWORKS = None (the laptop
default) means no network rule: open unless a token is set. The client address is REMOTE_ADDR;
X-Forwarded-For is read only when METRICS_NUM_PROXIES says how many proxies of ours append to it
(otherwise any client could write an allowed address there).
"""

from __future__ import annotations

import hmac
import ipaddress
from functools import lru_cache, wraps

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from None


def client_address(request) -> str:
    proxies = int(getattr(settings, "METRICS_NUM_PROXIES", 0) or 0)
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]  # the address our outermost proxy saw, not what the client wrote
    return request.META.get("REMOTE_ADDR", "")


def _in_networks(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.5 from a dual-stack listener
    return any(ip in net for net in networks)


def _bearer_ok(request, token: str) -> bool:
    kind, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return kind.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def refusal(request) -> HttpResponse | None:
    """None when the request may read /metrics, else the response refusing it."""
    cidrs = getattr(settings, "METRICS_ALLOWED_NETWORKS", None)
    token = getattr(settings, "METRICS_BEARER_TOKEN", "") or ""
    if cidrs is None and not token:
        return None
    if cidrs is not None and _in_networks(client_address(request), _networks(tuple(cidrs))):
        return None
    if token and _bearer_ok(request, token):
        return None
    if token:
        response = HttpResponse("metrics: bearer token required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse("metrics: not served to this address\n", status=403, content_type="text/plain")


def protect(view):
    """`view`, answered only for requests refusal() lets through (wrapped in platform/urls.py)."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if (refused := refusal(request)) is not None:
            return refused
        return view(request, *args, **kwargs)

    return guarded
