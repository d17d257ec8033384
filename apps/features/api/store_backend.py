"""The feature store lives in PostgreSQL (float8[] rows, binary COPY, advisory locks): on another
database (the SQLite of a quick local start) its endpoints answer 503 saying so, not a 500."""

from __future__ import annotations

from django.db import connection
from rest_framework import status
from rest_framework.exceptions import APIException


class FeatureStoreUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = (
        "The feature store needs PostgreSQL (set DATABASE_URL); this server runs on another database."
    )
    default_code = "feature_store_unavailable"


def store_required() -> None:
    if connection.vendor != "postgresql":
        raise FeatureStoreUnavailable()
