"""Who may see and who may book to a portfolio (the rules; api/permissions.py applies them to views).

View: the owner, members of the portfolio's group, staff. Book (record transactions): the owner
and staff — group membership grants a read-only view.
"""

from __future__ import annotations

from django.db.models import Q

from ..models import Portfolio


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


def visible_ids(user):
    """The ids of the portfolios `user` may view as a lazy `values("pk")` queryset (one subquery
    wherever it is used); None means all (staff)."""
    q = visible_q(user)
    return None if q is None else Portfolio.objects.filter(q).values("pk")


def visible_keys(user) -> tuple[frozenset[int], frozenset[str]] | None:
    """The ids and the codes of the portfolios `user` may view, in one query; None means all (staff)."""
    q = visible_q(user)
    if q is None:
        return None
    rows = list(Portfolio.objects.filter(q).values_list("pk", "code"))
    return frozenset(pk for pk, _ in rows), frozenset(code for _, code in rows)
