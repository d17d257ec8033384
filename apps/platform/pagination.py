"""The API's pagination (DEFAULT_PAGINATION_CLASS): DRF's limit/offset with both bounded, so no
query string reaches the database as an integer it cannot hold.

`limit`: a whole number ≥ 1; above API_PAGE_MAX_LIMIT it is lowered to that maximum (as DRF's
max_limit does). `offset`: a whole number from 0 to API_PAGE_MAX_OFFSET. Anything else is a 400
naming the parameter, instead of DRF's silent fallback to the default."""

from __future__ import annotations

import re

from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

_WHOLE = re.compile(r"^\s*\d{1,19}\s*$")  # 19 digits: anything longer is out of range anyway


def _whole(raw: str) -> int | None:
    return int(raw) if _WHOLE.match(raw) else None


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    @property
    def max_limit(self) -> int:
        return settings.API_PAGE_MAX_LIMIT

    def get_limit(self, request):
        raw = request.query_params.get(self.limit_query_param)
        if raw is None or raw == "":
            return self.default_limit
        value = _whole(raw)
        if value is None or value < 1:
            raise ValidationError(
                {
                    self.limit_query_param: [
                        f"Must be a whole number from 1 (at most {self.max_limit} are returned)."
                    ]
                }
            )
        return min(value, self.max_limit)

    def get_offset(self, request):
        raw = request.query_params.get(self.offset_query_param)
        if raw is None or raw == "":
            return 0
        value = _whole(raw)
        bound = settings.API_PAGE_MAX_OFFSET
        if value is None or value > bound:
            raise ValidationError({self.offset_query_param: [f"Must be a whole number from 0 to {bound}."]})
        return value
