"""JSON answers under /api/ for what is refused before or outside a DRF view — a URL no view
claims, a CSRF failure, a request Django finds suspicious (handler400), an unhandled error: an API
client gets `{"detail": ...}` with the status, never Django's HTML page. Elsewhere (admin, the
browsable API login) Django's own pages stay."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import bad_request, server_error


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


# Exempt: the CSRF check would otherwise refuse a POST/PATCH/DELETE to an unknown path with an
# HTML 403 before this view could say 404.
@csrf_exempt
def api_not_found(request, *args, **kwargs) -> JsonResponse:
    return JsonResponse({"detail": f"Not found: {request.path}"}, status=404)


def csrf_failure(request, reason: str = "", template_name: str = "403_csrf.html"):
    """CSRF_FAILURE_VIEW. The wording matches DRF's own CSRF refusal (SessionAuthentication)."""
    if _is_api(request):
        return JsonResponse({"detail": f"CSRF Failed: {reason}"}, status=403)
    return django_csrf_failure(request, reason=reason, template_name=template_name)


def handler400(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return bad_request(request, exception)


def handler500(request) -> JsonResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Internal server error; it has been logged."}, status=500)
    return server_error(request)
