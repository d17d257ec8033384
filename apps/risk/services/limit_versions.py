"""The limits' version token (apps.platform.versions): replaced after every commit that changes a
risk limit, so a reader that keeps limits in memory (the check) reads them again.

One token for every limit: a global default applies to every portfolio, and limits change rarely,
so finer tokens would buy nothing. Saves are seen through `post_save` (the service, the admin,
direct ORM writes); deletes through the limits service (`limit_delete`), which every delete goes
through — no `post_delete` receiver, which would make a portfolio's deletion load and signal each of
its limits instead of deleting them in one statement."""

from __future__ import annotations

from django.db.models.signals import post_save

from apps.platform.versions import version_bump_on_commit

from ..models import RiskLimit

LIMITS_VERSION = "risk.limits"


def limits_changed_on_commit() -> None:
    version_bump_on_commit(LIMITS_VERSION)


def _saved(**_signal_kwargs) -> None:
    limits_changed_on_commit()


def limit_versions_connect() -> None:
    """Called from apps.py."""
    post_save.connect(_saved, sender=RiskLimit, dispatch_uid="risk-limits-version")
