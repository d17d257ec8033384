"""The calculate job's work: evaluate a `Calculation` (sent as JSON params) over stored bars and
write its values as one Parquet file, long form (date, symbol, one column per factor), under
MEDIA_ROOT/factors/<job id>.parquet, downloaded through the platform's job files once the job has
succeeded (GET /api/factors/calculate/<job id>/download)."""

from __future__ import annotations

import io

from django.urls import reverse

from apps.platform.job_files import JobFiles
from apps.platform.jobs import job_progress

from ..selectors.calculate import Calculation, FormulaProblem, calculation_values, values_long

PARQUET = "application/vnd.apache.parquet"
CALCULATE_FILES = JobFiles("factors", {"parquet": ("parquet", PARQUET)})


def calculation_file_write(*, job_id: str, params: dict) -> dict:
    """Evaluate, write the file whole, and answer the job's result: format, content_type, file,
    size, download_url, the answer's shape (dates, symbols, factors, cells) and the data's
    fingerprint. Bad input found only now (no bars, a window longer than the data, an unknown
    feature) is a ValidationError keyed by field, which the job keeps as its error detail."""
    calc = Calculation.from_params(params)
    job_progress(job_id, 5, f"evaluating {len(calc.trees)} factors for {len(calc.symbols)} symbols")
    try:
        values = calculation_values(calc)
    except FormulaProblem as exc:
        raise exc.as_validation_error() from None
    job_progress(job_id, 70, "writing parquet")
    frame = values_long(values, calc.labels)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    content = buffer.getvalue()
    path = CALCULATE_FILES.write(job_id, "parquet", content)
    return {
        "format": "parquet",
        "content_type": PARQUET,
        "file": path.name,
        "size": len(content),
        "download_url": reverse("factors:calculate-download", kwargs={"job_id": job_id}),
        "dates": len(values.dates),
        "symbols": len(values.symbols),
        "factors": list(calc.labels),
        "cells": len(values.dates) * len(values.symbols) * len(calc.labels),
        "fingerprint": values.fingerprint,
    }
