"""This engine's part of `manage.py load_demo`: a small LightGBM price model on the features engine's
demo feature set and a GARCH volatility model, both trained on the demo's daily bars (all of their
history) for its stocks and ETFs, and a VADER sentiment model (its lexicon ships with vaderSentiment:
nothing to train), each aliased `champion`, so a price, volatility or sentiment prediction answers
right after `make up`.

Runs after the features seed (workers/registry.py order), which computes the demo set's values.
Idempotent: a model that already has a champion is left as it is (a second load trains nothing).
The price model needs the feature store, so it is skipped on SQLite as the features seed is; with
few trees and three folds both fit in a few seconds.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import OutputWrapper
from django.db import connection

from apps.marketdata import facade as marketdata
from apps.platform.exceptions import NotFoundError

from .selectors.aliases import alias_get
from .selectors.ml_models import model_get
from .services.training import model_train

CHAMPION = "champion"
DEMO_FEATURE_SET = "demo"  # apps/features/demo.py DEMO_SET
PRICE_MODEL = {
    "name": "demo-price",
    "kind": "price",
    "estimator": "lightgbm",
    "target": "return_5d",
    "feature_set": DEMO_FEATURE_SET,
    "hyperparameters": {"n_estimators": 60, "num_leaves": 15, "learning_rate": 0.05, "min_child_samples": 40},
    "validation": {"method": "purged_kfold", "n_splits": 3, "embargo_pct": 0.01},
    "alpha": 0.1,
}
VOLATILITY_MODEL = {
    "name": "demo-volatility",
    "kind": "volatility",
    "estimator": "garch",
    "target": "variance_1d",
}
SENTIMENT_MODEL = {"name": "demo-sentiment", "kind": "sentiment", "estimator": "vader", "target": "sentiment"}


def _has_champion(name: str) -> bool:
    try:
        alias_get(model_get(name), CHAMPION)
    except NotFoundError:
        return False
    return True


def seed(*, stdout: OutputWrapper | None = None) -> None:
    """Idempotent; called by load_demo in registry order."""
    say = stdout.write if stdout is not None else (lambda text: None)
    symbols = [i.symbol for i in marketdata.instruments_active() if i.asset_class != "fx"]
    if not symbols:
        say("ml: no demo instruments, nothing trained")
        return
    specs = [VOLATILITY_MODEL, SENTIMENT_MODEL]
    if connection.vendor == "postgresql":
        specs.insert(0, PRICE_MODEL)
    else:
        say("ml: the price model skipped (the feature store needs PostgreSQL)")
    for spec in specs:
        if _has_champion(spec["name"]):
            say(f"ml: {spec['name']} already has a {CHAMPION}, left as it is")
            continue
        try:
            on = {} if spec["kind"] == "sentiment" else {"symbols": symbols, "seed": 0}  # a lexicon: no data
            trained = model_train(**spec, **on, alias=CHAMPION)
        except ValidationError as exc:  # e.g. the features were not computed: say why, seed the rest
            say(f"ml: {spec['name']} not trained: {'; '.join(exc.messages)}")
            continue
        trained_on = f"trained on {len(symbols)} symbols" if on else "registered (VADER's lexicon)"
        say(f"ml: {trained.model.name} v{trained.version.number} {trained_on}, {CHAMPION}")
