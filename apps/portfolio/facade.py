"""What other engines may call about the book of record: frozen dataclasses, never model instances.

Refusals are domain exceptions, not HTTP: `PortfolioNotFound` (a LookupError) and
`PortfolioForbidden` (a PermissionError). The platform's DRF exception handler answers them 404 and
403 with `{"detail": ...}` when they leave an API view."""

from __future__ import annotations

from apps.platform.exceptions import ForbiddenError, NotFoundError

from .kernels.book import cash_deltas
from .selectors import access
from .selectors.frames import (
    TRANSACTION_DTYPES,
    book_frames,
    portfolio_ids_holding,
    symbols_held,
    transactions_frame,
)
from .selectors.info import (
    PortfolioInfo,
    PositionInfo,
    portfolio_codes_holding,
    portfolio_find,
    portfolio_info,
    portfolios_info,
    positions_info,
)
from .services.book_versions import book_version_name

__all__ = [
    "TRANSACTION_DTYPES",
    "PortfolioForbidden",
    "PortfolioInfo",
    "PortfolioNotFound",
    "PositionInfo",
    "book_frames",
    "book_version_name",
    "cash_deltas",
    "portfolio_can_view",
    "portfolio_codes_holding",
    "portfolio_get",
    "portfolio_ids_holding",
    "portfolio_ids_visible",
    "portfolio_keys_visible",
    "portfolio_viewable",
    "portfolios_all",
    "symbols_held",
    "transactions_frame",
]


class PortfolioNotFound(NotFoundError):
    """No portfolio with that code or id (an API view answers 404)."""


class PortfolioForbidden(ForbiddenError):
    """The portfolio exists but the user may not view it (an API view answers 403)."""


def portfolio_get(key: int | str) -> PortfolioInfo | None:
    """A portfolio with its positions, by code or id; None when there is no such portfolio."""
    p = portfolio_find(key)
    if p is None:
        return None
    return portfolio_info(p, positions_info([p.pk])[p.pk])


def portfolios_all() -> list[PortfolioInfo]:
    """Every portfolio with its positions in two queries (risk monitoring, analytics batches)."""
    return portfolios_info()


def portfolio_can_view(user, key: int | str) -> bool | None:
    """Whether `user` may view the portfolio (other engines' APIs answer 403 with it); None if unknown."""
    p = portfolio_find(key)
    return None if p is None else access.can_view(user, p)


def portfolio_viewable(user, key: int | str, *, positions: bool = False) -> PortfolioInfo:
    """For other engines' API views: the portfolio by code or id when `user` may view it, else
    PortfolioNotFound (unknown: 404) or PortfolioForbidden (someone else's: 403). Without
    `positions` the info carries none: one query instead of a row per position (most callers want
    the code or id)."""
    p = portfolio_find(key)
    if p is None:
        raise PortfolioNotFound(f"Unknown portfolio {key!r}.")
    if not access.can_view(user, p):
        raise PortfolioForbidden("You do not have access to this portfolio.")
    return portfolio_info(p, positions_info([p.pk])[p.pk] if positions else [])


def portfolio_ids_visible(user):
    """The ids of the portfolios `user` may view, as a lazy queryset other engines can use as a
    subquery (`filter(portfolio_id__in=...)`: the whole list stays one query); None means all (staff)."""
    return access.visible_ids(user)


def portfolio_keys_visible(user) -> tuple[frozenset[int], frozenset[str]] | None:
    """The ids and the codes of the portfolios `user` may view, in one query (ws/stream matches
    events that name a portfolio by either); None means all (staff)."""
    return access.visible_keys(user)
