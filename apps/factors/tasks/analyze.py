"""The analysis job: a request too large to answer synchronously (more than FACTORS_SYNC_MAX_CELLS
factor x date x symbol cells) runs here, on the factors queue. Idempotent: a redelivered job finds
the rows the first delivery stored (the reproducibility key) instead of adding others."""

from __future__ import annotations

import pandas as pd
from celery import shared_task

from apps.platform.jobs import job_task

from ..models import FactorDefinition
from ..selectors.analyses import analysis_document
from ..services.analyses import analysis_run

ANALYZE = "apps.factors.tasks.analyze.analyze"


@shared_task(name=ANALYZE, acks_late=True, reject_on_worker_lost=True)
@job_task
def analyze(job_id: str, params: dict) -> dict:
    """params: definition_ids, symbols (resolved), start, end (ISO), horizons, quantiles."""
    by_id = FactorDefinition.objects.in_bulk(params["definition_ids"])
    rows = analysis_run(
        definitions=[by_id[i] for i in params["definition_ids"]],
        symbols=params["symbols"],
        start=pd.Timestamp(params["start"]).tz_convert("UTC"),
        end=pd.Timestamp(params["end"]).tz_convert("UTC"),
        horizons=params["horizons"],
        quantiles=params["quantiles"],
    )
    return {"analyses": [analysis_document(r) for r in rows]}
