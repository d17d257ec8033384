"""Every answer under /api/ is JSON with a `detail`, whatever refused the request: the URL
resolver, the CSRF check, Django's body-size limit or its other SuspiciousOperation checks. Outside
/api/ (admin, the browsable login) Django's own pages stay."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token

from apps.platform.errors import csrf_failure

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict_client(user) -> Client:
    """A plain Django client that, unlike the test default, enforces CSRF like a real server."""
    token = Token.objects.create(user=user).key
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token}")


def assert_json_error(resp, status: int) -> dict:
    assert resp.status_code == status, resp.content[:200]
    assert resp["Content-Type"].startswith("application/json"), resp["Content-Type"]
    body = json.loads(resp.content)
    assert isinstance(body, dict) and body
    return body


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_an_unknown_api_path_is_a_json_404_for_unsafe_methods(strict_client, method):
    resp = getattr(strict_client, method)("/api/no-such-thing/", {"a": 1}, content_type="application/json")
    body = assert_json_error(resp, 404)
    assert body["detail"] == "Not found: /api/no-such-thing/"


def test_a_csrf_failure_under_api_is_json_and_elsewhere_django_s_page(settings):
    assert settings.CSRF_FAILURE_VIEW == "apps.platform.errors.csrf_failure"
    factory = RequestFactory()
    body = assert_json_error(
        csrf_failure(factory.post("/api/risk/limits"), reason="CSRF cookie not set."), 403
    )
    assert body["detail"] == "CSRF Failed: CSRF cookie not set."

    page = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "x", "password": "y"})
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")


def test_an_oversized_json_body_is_a_json_413(strict_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = json.dumps({"code": "big", "name": "x" * 2000})
    resp = strict_client.post("/api/portfolio/portfolios/", payload, content_type="application/json")
    body = assert_json_error(resp, 413)
    assert "1000" in body["detail"]


def test_an_oversized_form_body_is_a_json_413(strict_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    resp = strict_client.post(
        "/api/portfolio/portfolios/",
        "code=big&name=" + "x" * 2000,
        content_type="application/x-www-form-urlencoded",
    )
    assert_json_error(resp, 413)


def test_an_oversized_body_to_an_unknown_api_path_is_still_the_json_404(strict_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    resp = strict_client.post(
        "/api/nope", "a=" + "x" * 2000, content_type="application/x-www-form-urlencoded"
    )
    assert_json_error(resp, 404)


def test_too_many_form_fields_is_a_json_400(strict_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    resp = strict_client.post(
        "/api/portfolio/portfolios/",
        "&".join(f"f{i}=1" for i in range(10)),
        content_type="application/x-www-form-urlencoded",
    )
    body = assert_json_error(resp, 400)
    assert "detail" in body


def test_a_suspicious_request_outside_a_view_is_json_under_api_only():
    # A Host not in ALLOWED_HOSTS is refused before any view runs (DisallowedHost → handler400).
    api = Client(HTTP_HOST="evil.example").get("/api/engines/")
    assert assert_json_error(api, 400)["detail"] == "Bad request."
    page = Client(HTTP_HOST="evil.example").get("/admin/login/")
    assert page.status_code == 400 and not page["Content-Type"].startswith("application/json")
