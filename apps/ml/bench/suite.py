"""`python manage.py bench ml`: batch prediction through the facade next to LightGBM's own predict
(batch.py), the API's latency for one symbol next to a plain GET (latency.py), and the training time
of a LightGBM model on 500 instruments x 5 years of daily features (training.py). The bench's model,
instruments, features and stored values are made under a BENCHML tag and removed afterwards."""

from __future__ import annotations

from .batch import measure as batch_measure
from .data import fixture_build, fixture_cleanup
from .latency import measure as latency_measure
from .training import measure as training_measure

FULL = {
    "rows": 100_000,
    "features": 20,
    "train_rows": 50_000,
    "universe": 500,
    "requests": 1000,
    "repeats": 5,
    "train_instruments": 500,
    "train_bars": 1260,
}
QUICK = {
    "rows": 2_000,
    "features": 8,
    "train_rows": 2_000,
    "universe": 20,
    "requests": 20,
    "repeats": 2,
    "train_instruments": 20,
    "train_bars": 100,
}


def run(*, quick: bool = False, progress: bool = True, **params) -> dict:
    sizes = {**(QUICK if quick else FULL), **{k: int(v) for k, v in params.items() if k in FULL}}
    fx = fixture_build(
        train_rows=sizes["train_rows"], features=sizes["features"], instruments=sizes["universe"]
    )
    try:
        figures = batch_measure(fx, rows=sizes["rows"], repeats=sizes["repeats"], progress=progress)
        figures += latency_measure(fx, requests=sizes["requests"], progress=progress)
    finally:
        fixture_cleanup(fx)
    figures += training_measure(
        instruments=sizes["train_instruments"], bars=sizes["train_bars"], features=sizes["features"]
    )
    return {
        "engine": "ml",
        "sizes": sizes,
        "targets": {"batch_predictions_per_s": ">= 50,000", "api_predict_p99_ms": "< 50"},
        "notes": [
            "batch: the facade's predict_returns on a frame of every feature (baseline: LightGBM's predict "
            "on the same array); universe: symbols predicted from the online store (baseline: the store "
            "read alone)",
            "api: the seed's body through Django's test client, features from the store (baseline: GET "
            "/api/ml/models/{name})",
            "training: LightGBM fitted directly through kernels/estimators with the default "
            "hyperparameters on synthetic features (the training service, with its data loading and "
            "validation, is measured by its own bench when it has one)",
        ],
        "figures": figures,
    }
