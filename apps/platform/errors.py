"""JSON answers for URLs no view claims and for unhandled errors under /api/: an API client gets
`{"detail": ...}` with the status, never Django's HTML page."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.defaults import server_error


def api_not_found(request, *args, **kwargs) -> JsonResponse:
    return JsonResponse({"detail": f"Not found: {request.path}"}, status=404)


def handler500(request) -> JsonResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Internal server error; it has been logged."}, status=500)
    return server_error(request)
