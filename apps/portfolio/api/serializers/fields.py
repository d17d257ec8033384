"""Decimal fields shaped like their columns, shared by the portfolio serializers."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import ColumnDecimalField


def decimal_out(spec: dict, **kw) -> serializers.DecimalField:
    """An output decimal shaped like its column."""
    return serializers.DecimalField(
        max_digits=spec["max_digits"], decimal_places=spec["decimal_places"], **kw
    )


def decimal_in(model, name: str, **kw) -> ColumnDecimalField:
    """An input decimal that fits its column (and the API's magnitude bound)."""
    return ColumnDecimalField(model._meta.get_field(name), **kw)
