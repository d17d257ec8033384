"""The API contract, checked: every operation of the served OpenAPI document (/api/schema/) is called
with generated requests — valid ones and invalid ones — as the demo user and as staff, in-process
through the WSGI application on the test database, and every answer must

- not be a 5xx,
- have a status code the document lists for that operation,
- match the documented body schema, content type and headers.

The demo book (load_demo) plus one of each object a path can name (api_fuzz_seed.py) is loaded once
per module; path parameters are pinned to those real ids so each call reaches the view's real code
rather than a 404. Each operation's calls run in a transaction rolled back after it.

Run it alone with `pytest -m schema_fuzz` (about two minutes on two cores); `make test` includes it.
Generation is derandomized (same seed, same requests on every run) and bounded (EXAMPLES per operation
plus the boundary cases schemathesis derives from the schema).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings

from .api_fuzz_seed import seed

pytestmark = pytest.mark.schema_fuzz

# Bounded for `make test`; a deeper run: API_FUZZ_EXAMPLES=100 API_FUZZ_COVERAGE=1 pytest -m schema_fuzz
# (the coverage phase adds each parameter's boundary values: several minutes more).
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "25"))
COVERAGE = os.environ.get("API_FUZZ_COVERAGE", "") == "1"
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261203,
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": COVERAGE},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "generation": {
            "mode": "all",  # valid and invalid requests
            "max-examples": EXAMPLES,
            "deterministic": True,
            # Authentication is ours (a real token per user), not generated.
            "with-security-parameters": False,
        },
        # The contract only: no 5xx, documented status codes, bodies/content types/headers as
        # documented. (Whether a schema-valid request must succeed is the views' business.)
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
            "response_headers_conformance": {"enabled": True},
        },
    }
)


@schemathesis.serializer("application/vnd.apache.parquet")
def _parquet_body(ctx, value) -> bytes:
    """POST /api/features/historical also takes a Parquet file as the body itself: send the generated
    bytes as they are (schemathesis has no serializer of its own for this media type and would skip
    those cases)."""
    return value if isinstance(value, bytes) else getattr(value, "data", str(value).encode())


APP = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", APP, config=CONFIG)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The seed data, in a transaction open for the whole module and rolled back at its end."""
    # As Django's test client does: the end of a request must not close the connection that holds
    # the test's transaction (the WSGI handler calls close_old_connections on both signals).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                yield seed()
            finally:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(params=["demo", "staff"])
def token(request, seeded) -> str:
    return seeded.tokens[request.param]


@pytest.fixture(autouse=True)
def _answer_jobs_at_once(settings, tmp_path):
    # No worker runs here (and a job is enqueued only on commit, which never comes): answer 202 at
    # once instead of waiting for it. Uploads land in a temporary MEDIA_ROOT.
    settings.JOB_SYNC_WAIT_SECONDS = 0
    settings.MEDIA_ROOT = str(tmp_path / "media")


@schema.parametrize()
@settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(case, seeded, token, db):
    case.path_parameters = seeded.path_parameters(case.path, case.path_parameters)
    case.call_and_validate(headers={"Authorization": f"Token {token}"})
