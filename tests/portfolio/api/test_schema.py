"""The OpenAPI schema describes the book-of-record endpoints without generator complaints."""

from drf_spectacular.drainage import GENERATOR_STATS, reset_generator_stats
from drf_spectacular.generators import SchemaGenerator

OURS = ("apps/portfolio/", "apps/marketdata/")


def test_schema_covers_our_endpoints_without_warnings():
    reset_generator_stats()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    complaints = [
        m for m in [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache] if any(o in m for o in OURS)
    ]
    reset_generator_stats()
    assert complaints == []
    paths = schema["paths"]
    for path in (
        "/api/marketdata/instruments/",
        "/api/marketdata/instruments/{symbol}/",
        "/api/portfolio/portfolios/",
        "/api/portfolio/portfolios/{code}/",
        "/api/portfolio/portfolios/{code}/positions/",
        "/api/portfolio/transactions/",
    ):
        assert path in paths, path
    create = paths["/api/portfolio/transactions/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/TransactionCreateRequest"
    )
    assert "201" in create["responses"]
