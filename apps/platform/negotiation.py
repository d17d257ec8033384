"""Content negotiation for views that take `?format=` as their own query field."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation


class QueryFormatIsAField(DefaultContentNegotiation):
    """These views answer JSON (errors included) and build CSV/Parquet downloads themselves, so
    `?format=` is a validated query field instead of DRF's renderer override, which would answer an
    unknown format with a 404."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
