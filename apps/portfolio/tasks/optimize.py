"""The optimization job: a request over more than PORTFOLIO_OPTIMIZE_SYNC_MAX_ASSETS symbols (or any
with ?async=true) runs here on the portfolio queue, with progress, and answers the stored document."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from apps.platform.jobs import job_task

from ..models import Portfolio
from ..selectors.optimizations import optimization_document
from ..services.optimizations import optimization_run

OPTIMIZE = "apps.portfolio.tasks.optimize.optimize"


@shared_task(name=OPTIMIZE, acks_late=True, reject_on_worker_lost=True)
@job_task
def optimize(job_id: str, params: dict) -> dict:
    """params: portfolio_id, user_id and the validated request (JSON-safe, window as ISO strings)."""
    params = dict(params)
    portfolio = Portfolio.objects.get(pk=params.pop("portfolio_id"))
    user_id = params.pop("user_id", None)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    row = optimization_run(portfolio=portfolio, user=user, job_id=job_id, **params)
    return optimization_document(row)
