"""Who may see and who may book to a portfolio.

View: the owner, members of the portfolio's group, staff. Book (record transactions): the owner
and staff — group membership grants a read-only view.
"""

from __future__ import annotations

from django.db.models import Q
from rest_framework import permissions

from .models import Portfolio


def visible_q(user) -> Q | None:
    """Filter over Portfolio for what `user` may view; None means everything (staff)."""
    if user.is_staff:
        return None
    return Q(owner=user) | Q(group__in=user.groups.all())


def can_view(user, portfolio: Portfolio) -> bool:
    if not (user and user.is_authenticated):
        return False
    if user.is_staff or portfolio.owner_id == user.pk:
        return True
    return portfolio.group_id is not None and user.groups.filter(pk=portfolio.group_id).exists()


def can_book(user, portfolio: Portfolio) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or portfolio.owner_id == user.pk))


class CanViewPortfolio(permissions.BasePermission):
    """Object permission for views addressed by portfolio code: 403, not 404, for a portfolio that
    exists but is not the caller's to see."""

    message = "You do not have access to this portfolio."

    def has_object_permission(self, request, view, obj) -> bool:
        return can_view(request.user, obj)
