"""The OpenAPI schema of the whole API generates without a warning or an error (the same warnings
would fail `manage.py check --deploy --fail-level WARNING`)."""

from drf_spectacular.drainage import GENERATOR_STATS, reset_generator_stats
from drf_spectacular.generators import SchemaGenerator


def test_whole_schema_generates_cleanly():
    reset_generator_stats()
    try:
        schema = SchemaGenerator().get_schema(request=None, public=True)
        complaints = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    finally:
        reset_generator_stats()
    assert complaints == []
    assert "/api/jobs/{id}" in schema["paths"] and "/api/marketdata/bars/" in schema["paths"]
