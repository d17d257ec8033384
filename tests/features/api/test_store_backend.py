"""On a database other than PostgreSQL the feature store's endpoints answer 503 saying why."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/features/compute"),
        ("get", "/api/features/values?symbols=AAA&features=x"),
        ("post", "/api/features/historical"),
    ],
)
def test_store_endpoints_say_they_need_postgresql(api_client, monkeypatch, method, url):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    resp = getattr(api_client, method)(url, {} if method == "post" else None, format="json")
    assert resp.status_code == 503
    assert "PostgreSQL" in resp.json()["detail"]
