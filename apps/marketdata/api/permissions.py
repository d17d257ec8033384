"""Who may call the market-data endpoints."""

from __future__ import annotations

from rest_framework import permissions


class IsStaffOrReadOnly(permissions.BasePermission):
    """Any authenticated user reads; staff write."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or request.user.is_staff
