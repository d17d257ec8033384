"""Data for the API contract fuzz test: the demo book (load_demo) plus one of each thing a path can
name, so every operation has a real id to hit and answers from its real code path, not a 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.authtoken.models import Token

DEMO_PORTFOLIO = "portfolio_001"


@dataclass(frozen=True)
class Seeded:
    tokens: dict[str, str]  # "demo" / "staff" -> DRF token key
    path_ids: dict[str, dict[str, str]]  # path template -> {path parameter: real value}

    def path_parameters(self, path: str, generated: dict | None) -> dict:
        """The generated path parameters with the seeded ids put in where this path has one."""
        real = self.path_ids.get(path, {})
        return {name: real.get(name, value) for name, value in (generated or {}).items()}


def seed() -> Seeded:
    from apps.marketdata.models import FeedSession, Instrument
    from apps.platform.models import Job, JobState
    from apps.portfolio.models import Portfolio
    from apps.risk.models import Breach, EscalationPolicy, RiskLimit, StressScenario

    call_command("load_demo", stdout=StringIO())
    User = get_user_model()
    demo, admin = User.objects.get(username="demo"), User.objects.get(username="admin")
    portfolio = Portfolio.objects.get(code=DEMO_PORTFOLIO)
    now = dt.datetime.now(tz=dt.UTC)
    limit = RiskLimit.objects.order_by("pk").first()
    breach = Breach.objects.create(
        portfolio=portfolio,
        limit=limit,
        limit_type="max_position",
        scope="portfolio",
        unit="absolute",
        severity="high",
        warn_threshold=80.0,
        breach_threshold=100.0,
        level="breach",
        first_value=120.0,
        peak_value=130.0,
        last_value=125.0,
        peak_utilization=1.3,
        last_utilization=1.25,
        opened_at=now,
        last_seen_at=now,
    )
    job = Job.objects.create(
        engine="risk",
        name="apps.risk.tasks.var",
        state=JobState.SUCCEEDED,
        progress=100,
        params={"portfolio": DEMO_PORTFOLIO},
        result={"var": 1.0},
        created_by=demo,
        started_at=now,
        finished_at=now,
    )
    feed = FeedSession.objects.create(mode="replay", config={"symbols": ["AAPL"]}, created_by=admin)
    policy = EscalationPolicy.objects.order_by("pk").first()
    scenario = StressScenario.objects.order_by("pk").first()
    assert Instrument.objects.filter(symbol="AAPL").exists()
    ml_model = _ml_registry(admin)

    code = {"portfolio": DEMO_PORTFOLIO}
    path_ids = {
        "/api/analytics/attribution/{portfolio}": code,
        "/api/analytics/benchmark/{portfolio}": code,
        "/api/analytics/calculate/{portfolio_id}": {"portfolio_id": DEMO_PORTFOLIO},
        "/api/analytics/performance/{portfolio}": code,
        "/api/analytics/reports/{job_id}/download": {"job_id": str(job.pk)},
        "/api/analytics/reports/{portfolio}": code,
        "/api/engines/{engine}/health": {"engine": "risk"},
        "/api/factors/definitions/{name}": {"name": "demo.mom_20"},
        "/api/engines/{engine}/selftest": {"engine": "risk"},
        "/api/jobs/{id}": {"id": str(job.pk)},
        "/api/marketdata/feeds/{id}/": {"id": str(feed.pk)},
        "/api/ml/models/{ref}": {"ref": ml_model},
        "/api/ml/models/{ref}/aliases": {"ref": ml_model},
        "/api/ml/models/{ref}/aliases/{name}": {"ref": ml_model, "name": "champion"},
        "/api/ml/models/{ref}/aliases/{name}/history": {"ref": ml_model, "name": "champion"},
        "/api/ml/models/{ref}/performance": {"ref": ml_model},
        "/api/ml/models/{ref}/versions": {"ref": ml_model},
        "/api/ml/models/{ref}/versions/{number}": {"ref": ml_model, "number": "1"},
        "/api/marketdata/feeds/{id}/stop/": {"id": str(feed.pk)},
        "/api/marketdata/instruments/{symbol}/": {"symbol": "AAPL"},
        "/api/portfolio/portfolios/{code}/": {"code": DEMO_PORTFOLIO},
        "/api/portfolio/portfolios/{code}/positions/": {"code": DEMO_PORTFOLIO},
        "/api/risk/backtest/{portfolio}": code,
        "/api/risk/breach/{breach_id}": {"breach_id": str(breach.pk)},
        "/api/risk/breach/{breach_id}/acknowledge": {"breach_id": str(breach.pk)},
        "/api/risk/breach/{breach_id}/escalate": {"breach_id": str(breach.pk)},
        "/api/risk/breach/{breach_id}/note": {"breach_id": str(breach.pk)},
        "/api/risk/breach/{breach_id}/resolve": {"breach_id": str(breach.pk)},
        "/api/risk/breaches/{portfolio}": code,
        "/api/risk/check/{portfolio_id}": {"portfolio_id": DEMO_PORTFOLIO},
        "/api/risk/escalation-policies/{id}": {"id": str(policy.pk)},
        "/api/risk/limits/{limit_id}": {"limit_id": str(limit.pk)},
        "/api/risk/limits/{limit_id}/history": {"limit_id": str(limit.pk)},
        "/api/risk/reports/{job_id}/download": {"job_id": str(job.pk)},
        "/api/risk/scenarios/{scenario_id}": {"scenario_id": str(scenario.pk)},
        "/api/risk/stress/{portfolio}": code,
        "/api/risk/var/{portfolio}": code,
    }
    tokens = {
        "demo": Token.objects.get_or_create(user=demo)[0].key,
        "staff": Token.objects.get_or_create(user=admin)[0].key,
    }
    return Seeded(tokens=tokens, path_ids=path_ids)


def _ml_registry(user) -> str:
    """A registered model with a ready version (aliased `champion`) and a failed one; its name."""
    from apps.ml.services.aliases import alias_move
    from apps.ml.services.ml_models import model_create
    from apps.ml.services.versions import version_create

    model = model_create(name="fuzz-price", kind="price", estimator="linear", target="return_5d", user=user)
    ready = version_create(
        model=model,
        artifact={"coef": [0.5, -1.0]},
        train_start=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        train_end=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        hyperparameters={"alpha": 1.0},
        metrics={"rmse": 0.1},
        user=user,
    )
    version_create(model=model, artifact=None, status="failed", error="not enough data", user=user)
    alias_move(model=model, name="champion", version=ready, user=user, reason="seed")
    return model.name
