"""The DRF exception handler answers an engine facade's domain refusals like DRF's own."""

import pytest

from apps.platform.exceptions import ForbiddenError, NotFoundError, exception_handler


@pytest.mark.parametrize(
    "exc, status",
    [
        (NotFoundError("Unknown portfolio 'x'."), 404),
        (ForbiddenError("You do not have access to this portfolio."), 403),
    ],
)
def test_facade_refusals_answer_with_their_status_and_message(exc, status):
    response = exception_handler(exc, {})
    assert response.status_code == status
    assert response.data == {"detail": str(exc)}


@pytest.mark.parametrize("exc", [KeyError("k"), IndexError(1), PermissionError("disk")])
def test_other_lookup_and_permission_errors_stay_unhandled(exc):
    assert exception_handler(exc, {}) is None  # a bug, not a refusal: Django answers 500
