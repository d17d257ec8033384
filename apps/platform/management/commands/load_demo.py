"""Demo data: the `demo` user and the `admin` superuser, then each engine's part in the order of
workers.registry.ENGINES — `apps.<engine>.demo.seed(stdout=...)` where the engine has a demo module
(marketdata: instruments and a simulated daily price history; risk: desk-wide default limits, an
escalation policy, stress scenarios; portfolio: portfolio_001 with trades booked at the simulated
close of their day) — and the demo user's API token.

Safe to run again: what exists is left as it is, nothing is booked or simulated twice. The platform
imports no engine: each demo module is found by name."""

from __future__ import annotations

import importlib
import importlib.util
import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from workers.registry import ENGINES


def demo_modules() -> list[str]:
    """The engines' demo modules that exist, in registry order."""
    names = [f"apps.{e.key}.demo" for e in ENGINES]
    return [name for name in names if importlib.util.find_spec(name) is not None]


class Command(BaseCommand):
    help = "Load demo users, instruments and portfolio_001 (idempotent)."

    def handle(self, *args, **options):
        User = get_user_model()
        demo, created = User.objects.get_or_create(username="demo", defaults={"email": "demo@example.com"})
        if created:
            password = os.environ.get("DEMO_PASSWORD", "demo-pass-123")
            demo.set_password(password)
            demo.save()
            self.stdout.write(f"Created user demo (password: {password})")

        if not User.objects.filter(username="admin").exists():
            password = os.environ.get("ADMIN_PASSWORD", "admin-pass-123")
            User.objects.create_superuser("admin", "admin@example.com", password)
            self.stdout.write(f"Created superuser admin (password: {password})")

        for name in demo_modules():
            importlib.import_module(name).seed(stdout=self.stdout)

        token, _ = Token.objects.get_or_create(user=demo)
        self.stdout.write(f"API token for demo: {token.key}")
