"""Create (or refresh) the default stress scenarios from the instruments stored now:

- "Equity crash -20%": every active equity instrument -20 % (instrument shocks, so it covers names
  without a sector too; re-run after loading new instruments to include them).
- "USD +10%": the dollar up 10 % against every other currency. Shocks are quote currency against
  the portfolio's base, so the scenario holds USD +10 % (for non-USD books) and every other
  currency 1/1.1 - 1 = -9.09 % (for USD books); the shock keyed by a book's own base currency is
  ignored. For a non-USD book the other currencies' move against its base is an approximation
  (cross rates are not held constant).
- "Tech selloff": technology sectors -25 % (every stored sector whose name contains "tech", plus
  "Technology" and "Information Technology").

Idempotent: a scenario with the same name is updated in place. Run: `manage.py risk_scenarios_seed`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from apps.marketdata import facade as marketdata
from apps.risk.services.scenarios import scenario_create, scenario_get, scenario_update

DEFAULT_CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD")
TECH_SECTORS = ("Technology", "Information Technology")


def default_scenarios() -> list[dict]:
    instruments = marketdata.instruments_active()
    equities = sorted(i.symbol for i in instruments if i.asset_class == "equity")
    currencies = sorted({*DEFAULT_CURRENCIES, *(i.currency for i in instruments if i.currency)})
    tech = sorted({*TECH_SECTORS, *(i.sector for i in instruments if "tech" in (i.sector or "").lower())})
    scenarios = [
        {
            "name": "USD +10%",
            "description": "USD +10 % against every other currency (other currencies 1/1.1 - 1 against USD).",
            "kind": "shocks",
            "shocks": {"currency": {c: (0.10 if c == "USD" else round(1 / 1.1 - 1, 10)) for c in currencies}},
        },
        {
            "name": "Tech selloff",
            "description": "Technology sectors -25 %.",
            "kind": "shocks",
            "shocks": {"sector": {s: -0.25 for s in tech}},
        },
    ]
    if equities:
        scenarios.insert(
            0,
            {
                "name": "Equity crash -20%",
                "description": "Every active equity instrument -20 %.",
                "kind": "shocks",
                "shocks": {"instrument": {s: -0.20 for s in equities}},
            },
        )
    return scenarios


class Command(BaseCommand):
    help = "Create or refresh the default stress scenarios (Equity crash -20%, USD +10%, Tech selloff)."

    def handle(self, *args, **options):
        names = []
        for data in default_scenarios():
            existing = scenario_get(data["name"])
            try:
                if existing is None:
                    scenario_create(data=data, user=None)
                    verb = "created"
                else:
                    scenario_update(scenario_id=existing.pk, data=data, user=None)
                    verb = "updated"
            except ValidationError as exc:
                self.stderr.write(f"{data['name']}: {exc}")
                continue
            names.append(data["name"])
            self.stdout.write(f"{verb} {data['name']}")
        if not any(n.startswith("Equity crash") for n in names):
            self.stdout.write("no active equity instrument stored: 'Equity crash -20%' not created")
