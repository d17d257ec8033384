"""The served OpenAPI document (/api/schema/) says what the endpoints answer: the shapes of the
answers that disagreed with it, and the error answers every operation can give."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.platform.models import Job, JobState

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def schema() -> dict:
    resp = APIClient().get("/api/schema/", {"format": "json"})
    assert resp.status_code == 200
    return resp.json()


def component(schema: dict, ref_holder: dict) -> dict:
    ref = ref_holder["$ref"]
    assert ref.startswith("#/components/schemas/")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def answer_schema(schema: dict, path: str, method: str, code: str) -> dict:
    return schema["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]


def assert_has_documented_keys(documented: dict, body: dict) -> None:
    """Every property the schema calls required is in the answer, and nothing undocumented is."""
    assert set(documented.get("required", [])) <= set(body), set(documented.get("required", [])) - set(body)
    assert set(body) <= set(documented["properties"]), set(body) - set(documented["properties"])


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_engine_list_is_documented_as_the_array_it_answers(schema, api_client):
    documented = answer_schema(schema, "/api/engines/", "get", "200")
    assert documented["type"] == "array"
    engine = component(schema, documented["items"])

    body = api_client.get("/api/engines/").json()
    assert isinstance(body, list) and body
    for doc in body:
        assert_has_documented_keys(engine, doc)
        assert_has_documented_keys(component(schema, engine["properties"]["health"]), doc["health"])


def test_engine_health_is_documented(schema, api_client):
    documented = component(schema, answer_schema(schema, "/api/engines/{engine}/health", "get", "200"))
    assert_has_documented_keys(documented, api_client.get("/api/engines/risk/health").json())


def test_a_job_answer_without_error_or_result_matches_its_schema(schema, api_client, user):
    job_doc = component(schema, answer_schema(schema, "/api/jobs/{id}", "get", "200"))
    assert {"result", "error", "error_detail"} <= set(job_doc["properties"])
    assert not {"result", "error", "error_detail"} & set(job_doc["required"])

    done = Job.objects.create(
        engine="risk", name="t", state=JobState.SUCCEEDED, result={"x": 1}, created_by=user
    )
    body = api_client.get(f"/api/jobs/{done.pk}").json()
    assert "error" not in body and body["result"] == {"x": 1}
    assert_has_documented_keys(job_doc, body)


def test_seeded_scenarios_answer_created_by_null_as_documented(schema, api_client):
    call_command("risk_scenarios_seed", stdout=StringIO())
    documented = answer_schema(schema, "/api/risk/scenarios", "get", "200")
    scenario = component(schema, documented["items"])
    assert scenario["properties"]["created_by"].get("nullable") is True

    body = api_client.get("/api/risk/scenarios").json()
    assert body and all(s["created_by"] is None for s in body)  # seeded by the system, nobody's
    for doc in body:
        assert_has_documented_keys(scenario, doc)


def test_instrument_create_does_not_require_read_only_fields(schema):
    body = schema["paths"]["/api/marketdata/instruments/"]["post"]["requestBody"]["content"]
    request = component(schema, body["application/json"]["schema"])
    assert set(request["required"]) == {"symbol"}
    assert not {"id", "created_at", "updated_at"} & set(request["properties"])
    answer = component(schema, answer_schema(schema, "/api/marketdata/instruments/", "post", "201"))
    assert {"id", "created_at", "updated_at"} <= set(answer["required"])


def test_every_operation_documents_its_error_answers(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail"] and error["properties"]["detail"]["type"] == "string"
    assert "ValidationError" in schema["components"]["schemas"]

    counted = {"400": 0, "401": 0, "403": 0, "404": 0, "413": 0, "415": 0, "429": 0}
    for path, method, op in operations(schema):
        responses = op["responses"]
        params = op.get("parameters", [])
        expected = set()
        if "requestBody" in op or any(p["in"] == "query" for p in params):
            expected.add("400")
        if "requestBody" in op:
            expected |= {"413", "415"}
        if any(p["in"] == "path" for p in params):
            expected.add("404")
        if path == "/api/auth/token":  # open to everyone (it is how a token is had), throttled
            expected.add("429")
        elif path != "/health":  # the only open, unthrottled endpoint
            expected |= {"401", "403", "429"}
        missing = expected - set(responses)
        assert not missing, f"{method.upper()} {path} does not document {sorted(missing)}"
        for code in expected:
            counted[code] += 1
            documented = responses[code]["content"]["application/json"]["schema"]
            if code != "400":  # an upload declares its own (free-form) 400; the rest are shared
                assert documented == {"$ref": "#/components/schemas/Error"}, (path, code)
    assert (
        counted["401"] >= 60
        and counted["404"] >= 25
        and counted["400"] >= 40
        and counted["413"] == counted["415"] >= 25
    )


def test_a_pending_job_answers_duration_null_as_documented(schema, api_client, user):
    job_doc = component(schema, answer_schema(schema, "/api/jobs/{id}", "get", "200"))
    assert job_doc["properties"]["duration_seconds"].get("nullable") is True

    pending = Job.objects.create(engine="risk", name="t", state=JobState.PENDING, created_by=user)
    body = api_client.get(f"/api/jobs/{pending.pk}").json()
    assert body["duration_seconds"] is None
    assert_has_documented_keys(job_doc, body)


def test_a_report_for_an_unknown_portfolio_is_a_documented_404(schema, api_client):
    documented = schema["paths"]["/api/risk/report/generate"]["post"]["responses"]["404"]
    assert documented["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}

    resp = api_client.post("/api/risk/report/generate", {"portfolios": ["nope"]}, format="json")
    assert resp.status_code == 404 and "detail" in resp.json()
