"""The book's version token (apps.platform.versions), one per portfolio: replaced after every commit
that changes the portfolio's row, a position or a transaction, so a reader that keeps a book in
memory (the risk check) knows when to read it again.

Saves are seen through `post_save` on the three models (services, the admin and test factories
alike), a portfolio's deletion through `post_delete` on Portfolio. Positions and transactions deleted
on their own are bumped by the services that delete them (a flat position, `book_repair`), not by a
`post_delete` receiver on their models: that would stop Django from deleting a portfolio's positions
and transactions in one statement when the portfolio goes (it would load and signal every row).
`bulk_create` and queryset `update()` send no signal: a writer using them calls
`book_changed_on_commit` itself (readers also bound an entry's age)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from apps.platform.versions import version_bump_on_commit

from ..models import Portfolio, Position, Transaction


def book_version_name(portfolio_id: int) -> str:
    return f"portfolio.book.{int(portfolio_id)}"


def book_changed_on_commit(portfolio_id: int) -> None:
    version_bump_on_commit(book_version_name(portfolio_id))


def _saved(sender, instance, **_signal_kwargs) -> None:
    book_changed_on_commit(instance.pk if sender is Portfolio else instance.portfolio_id)


def book_versions_connect() -> None:
    """Called from apps.py: the three models' saves, and a portfolio's deletion, bump its token."""
    for model in (Portfolio, Position, Transaction):
        post_save.connect(_saved, sender=model, dispatch_uid=f"book-version-{model.__name__}")
    post_delete.connect(_saved, sender=Portfolio, dispatch_uid="book-version-Portfolio-deleted")
