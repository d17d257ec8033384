"""This engine's part of `manage.py load_demo`: nothing to seed yet."""

from __future__ import annotations

from django.core.management.base import OutputWrapper


def seed(*, stdout: OutputWrapper | None = None) -> None:
    """Idempotent; called by load_demo in registry order. Nothing to seed yet."""
