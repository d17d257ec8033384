"""The project's OpenAPI generation (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]).

drf-spectacular documents only the success answers a view declares, so a generated client has no
type for the error answers every endpoint can give and fails on them. This AutoSchema adds them
to every operation, from what the view is, not endpoint by endpoint:

    400  the operation takes input (a request body or query parameters)       ValidationError
    401  authentication is required (any permission other than AllowAny)       Error
    403  same: a permission or an object can refuse an authenticated caller    Error
    404  the path names something (a path parameter)                           Error
    413  the operation takes a request body (DATA_UPLOAD_MAX_MEMORY_SIZE)       Error
    415  same: a Content-Type none of its parsers reads                        Error
    429  the view is throttled                                                 Error

An answer a view declares itself (a job's 400 with its field messages, say) is left as declared;
a view that gives another error answer declares it with `error_response` (a 404 for a portfolio
named in the body, say). All the shapes are what apps/platform/exceptions.py and errors.py answer.

Serializers may also list `Meta.optional_fields`: fields an answer leaves out in some states (a
job's `result` before it succeeds). Read-only fields are otherwise documented as always present.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

ERROR_COMPONENT = "Error"
VALIDATION_ERROR_COMPONENT = "ValidationError"

_ERROR_SCHEMA = {
    "type": "object",
    "description": "Why the request failed, as one sentence.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Invalid input: each offending field (query parameter or body field, nested fields as nested "
        "objects) maps to its list of messages; `non_field_errors` holds messages about the request "
        "as a whole and `detail` a body that could not be parsed."
    ),
    "properties": {
        "detail": {"type": "string"},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {},
}

_DESCRIPTIONS = {
    "400": "Invalid input; the body names the offending fields.",
    "401": "Not authenticated: no token or session, or an invalid one.",
    "403": "Authenticated, but not allowed to do this (staff only, or someone else's object).",
    "404": "Nothing by that name or id (or nothing you may see).",
    "413": "Request body larger than the server accepts.",
    "415": "The request's Content-Type is not one this operation reads.",
    "429": "Too many requests; the Retry-After header says when to try again.",
}


def error_response(description: str) -> OpenApiResponse:
    """For a view's @extend_schema(responses=...): an error answer beyond the standard ones."""
    return OpenApiResponse(
        response={"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}, description=description
    )


class NautilusAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        self._register_components()
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = self._error_response(code)
        return operation

    def _error_codes(self, operation: dict) -> list[str]:
        params = operation.get("parameters", [])
        has_body = "requestBody" in operation
        codes = []
        if has_body or any(p.get("in") == "query" for p in params):
            codes.append("400")
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes += ["401", "403"]
        if any(p.get("in") == "path" for p in params):
            codes.append("404")
        if has_body:
            codes += ["413", "415"]
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _register_components(self) -> None:
        for name, schema in (
            (ERROR_COMPONENT, _ERROR_SCHEMA),
            (VALIDATION_ERROR_COMPONENT, _VALIDATION_ERROR_SCHEMA),
        ):
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
            )
            self.registry.register_on_missing(component)

    def _error_response(self, code: str) -> dict:
        name = VALIDATION_ERROR_COMPONENT if code == "400" else ERROR_COMPONENT
        return {
            "description": _DESCRIPTIONS[code],
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        optional = set(getattr(getattr(serializer, "Meta", None), "optional_fields", ()))
        if optional and "required" in schema:
            schema["required"] = [f for f in schema["required"] if f not in optional]
            if not schema["required"]:
                del schema["required"]
        return schema
