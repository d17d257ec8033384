"""DRF permission for views addressed by portfolio code (the rules are in selectors/access.py)."""

from __future__ import annotations

from rest_framework import permissions

from ..selectors.access import can_view


class CanViewPortfolio(permissions.BasePermission):
    """Object permission for views addressed by portfolio code: 403, not 404, for a portfolio that
    exists but is not the caller's to see."""

    message = "You do not have access to this portfolio."

    def has_object_permission(self, request, view, obj) -> bool:
        return can_view(request.user, obj)
