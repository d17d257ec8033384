"""DRF exception handler: every refusal in an API view answers JSON in the two documented shapes
(apps/platform/schema.py): field -> messages for invalid input, `{"detail": ...}` otherwise.

- a model's ValidationError raised in a service becomes a 400 with its fields, like a serializer's,
  instead of a 500;
- Django's SuspiciousOperation raised while reading the request (DRF parses the body lazily, inside
  the view) would escape as Django's HTML 400: a body over DATA_UPLOAD_MAX_MEMORY_SIZE answers 413,
  the others (too many form fields or files, ...) 400 — still logged on `django.security.*` as Django
  does;
- a ValidationError raised with a bare message or list (`["..."]`) keeps the object shape;
- an engine facade's refusal answers like DRF's own: `NotFoundError` (a LookupError) 404 and
  `ForbiddenError` (a PermissionError) 403, `{"detail": <the message>}`. Only these subclasses: a
  stray KeyError or OS PermissionError stays a 500.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


class NotFoundError(LookupError):
    """Base of an engine facade's "no such thing" (no HTTP in a facade); API views answer 404."""


class ForbiddenError(PermissionError):
    """Base of an engine facade's "not yours to see" (no HTTP in a facade); API views answer 403."""


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def _suspicious(exc: SuspiciousOperation) -> exceptions.APIException:
    logging.getLogger(f"django.security.{type(exc).__name__}").warning("%s", exc)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return RequestTooLarge(f"Request body larger than the {limit} bytes accepted (files excepted).")
    return exceptions.ParseError(str(exc) or "Bad request.")


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, SuspiciousOperation):
        exc = _suspicious(exc)
    elif isinstance(exc, NotFoundError):
        exc = exceptions.NotFound(str(exc))
    elif isinstance(exc, ForbiddenError):
        exc = exceptions.PermissionDenied(str(exc))
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return response
