"""The risk part of `load_demo`: desk-wide default limits, a default escalation policy and a few
stress scenarios, so the 5-second monitor has something to watch; only where none exist yet (an
operator's own limits and policies are never touched). Written through the services: audited, by
the `admin` user (load_demo creates it first)."""

from __future__ import annotations

import sys

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import OutputWrapper

from .models import EscalationPolicy, RiskLimit
from .services.limits import limit_create
from .services.policies import policy_create

ADMIN_USER = "admin"

# Global default limits for the demo desk (fractions: pct_nav of NAV, ratio as such).
DEMO_LIMITS = (
    {"limit_type": "max_position", "unit": "pct_nav", "warn_threshold": 0.20, "breach_threshold": 0.25},
    {"limit_type": "concentration_limit", "warn_threshold": 0.30, "breach_threshold": 0.40},
    {"limit_type": "var_limit", "unit": "pct_nav", "warn_threshold": 0.03, "breach_threshold": 0.05},
    {
        "limit_type": "expected_shortfall_limit",
        "unit": "pct_nav",
        "warn_threshold": 0.04,
        "breach_threshold": 0.07,
    },
    {"limit_type": "gross_exposure", "unit": "pct_nav", "warn_threshold": 1.5, "breach_threshold": 2.0},
    {"limit_type": "net_exposure", "unit": "pct_nav", "warn_threshold": 1.2, "breach_threshold": 1.5},
    {
        "limit_type": "sector_concentration",
        "unit": "pct_nav",
        "warn_threshold": 0.35,
        "breach_threshold": 0.50,
    },
    {"limit_type": "industry_exposure", "unit": "pct_nav", "warn_threshold": 0.30, "breach_threshold": 0.45},
    {"limit_type": "currency_exposure", "unit": "pct_nav", "warn_threshold": 0.30, "breach_threshold": 0.50},
    {"limit_type": "fx_risk", "unit": "pct_nav", "warn_threshold": 0.01, "breach_threshold": 0.02},
    {"limit_type": "adv_limit", "warn_threshold": 0.10, "breach_threshold": 0.20},
    {"limit_type": "turnover_limit", "unit": "pct_nav", "warn_threshold": 0.5, "breach_threshold": 1.0},
    {"limit_type": "leverage", "warn_threshold": 1.5, "breach_threshold": 2.0},
    {"limit_type": "drawdown", "window_days": 252, "warn_threshold": 0.10, "breach_threshold": 0.20},
)
DEMO_ESCALATION = {
    "name": "Desk default",
    "description": "Demo: a bus alert after a minute unacknowledged, email to the desk after five.",
    "is_default": True,
    "levels": [
        {"level": 1, "delay_seconds": 60, "channels": ["bus"]},
        {"level": 2, "delay_seconds": 300, "channels": ["bus", "email"], "emails": ["risk-desk@example.com"]},
    ],
}


def seed(*, stdout: OutputWrapper | None = None) -> None:
    out = stdout or OutputWrapper(sys.stdout)
    admin = get_user_model().objects.get(username=ADMIN_USER)
    if not EscalationPolicy.objects.filter(is_default=True).exists():
        policy_create(data=DEMO_ESCALATION, user=admin)
        out.write("Escalation policy: desk default (bus after 60 s, bus + email after 5 min)")
    if not RiskLimit.objects.exists():
        for limit in DEMO_LIMITS:
            limit_create(data={"name": "desk default", **limit}, user=admin)
        out.write(f"Risk limits: {len(DEMO_LIMITS)} global defaults")
    call_command("risk_scenarios_seed", stdout=out)
