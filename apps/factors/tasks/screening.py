"""The screening job: thousands of catalogue factors scored over one universe and window, with
progress per batch (selectors/screening.py). Nothing is stored but the job's result, so a
redelivered job simply runs again."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
from celery import shared_task

from apps.platform.jobs import job_task
from apps.platform.numbers import json_safe
from apps.platform.services import job_progress

from ..selectors.screening import factors_screen, screening_candidates

SCREEN = "apps.factors.tasks.screening.screen"


@shared_task(name=SCREEN, acks_late=True, reject_on_worker_lost=True)
@job_task
def screen(job_id: str, params: dict) -> dict:
    """params: library, first, count, symbols (resolved), start, end (ISO), horizon, top."""
    candidates = screening_candidates(library=params["library"], first=params["first"], count=params["count"])
    got = factors_screen(
        candidates,
        symbols=params["symbols"],
        start=pd.Timestamp(params["start"]).tz_convert("UTC"),
        end=pd.Timestamp(params["end"]).tz_convert("UTC"),
        horizon=params["horizon"],
        progress=lambda done, total: job_progress(
            job_id, 100.0 * done / max(total, 1), f"{done}/{total} factors"
        ),
    )
    return json_safe(
        {
            "screened": got.screened,
            "failed": got.failed,
            "dates": got.dates,
            "symbols": got.symbols,
            "evaluations_per_second": got.evaluations_per_second,
            "best_is_lucky": got.best_lucky,
            "best_deflated_p_value": got.best_deflated_p,
            "top": [asdict(r) for r in got.rows[: params["top"]]],
        }
    )
