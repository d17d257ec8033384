"""Announcing predictions: one `ml.predictions.{model name}` event on the bus per API request,
summarized (the model, version and alias; how many rows; the symbols, up to SHOWN_SYMBOLS of them;
the headline figures), not the rows themselves. Subscribers that want every value ask the API or the
facade. Publishing never fails a prediction: the bus buffers while Redis is down, and any other
fault is logged."""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np

from apps.platform import bus
from apps.platform.numbers import json_safe
from apps.platform.timestamps import iso_utc

from ..selectors.predictions import FILL, STORE, ReturnPredictions
from ..selectors.regimes import RegimeProbabilities
from ..selectors.sentiment import SentimentScores
from ..selectors.serving import Served
from ..selectors.volatility import VolatilityForecast

log = logging.getLogger("apps.ml.services")

SHOWN_SYMBOLS = 20


def predictions_topic(model_name: str) -> str:
    return f"ml.predictions.{model_name}"


def _stats(values: np.ndarray) -> dict | None:
    if not len(values):
        return None
    return {"mean": float(np.mean(values)), "min": float(np.min(values)), "max": float(np.max(values))}


def _summary(result) -> dict:
    if isinstance(result, ReturnPredictions):
        symbols = [s for s in dict.fromkeys(result.symbols) if s is not None]
        return {
            "rows": len(result),
            "symbols": symbols[:SHOWN_SYMBOLS],
            "symbol_count": len(symbols),
            "predicted_return": _stats(result.predicted_return),
            "coverage": result.coverage,
            "horizon": result.horizon,
            "cells_from_store": int((result.sources == STORE).sum()),
            "cells_filled": int((result.sources == FILL).sum()),
        }
    if isinstance(result, VolatilityForecast):
        return {
            "rows": 1,
            "symbols": [result.symbol],
            "horizon": result.horizon,
            "vol": float(result.vol[0]),
            "total_vol": result.total_vol,
            "annualized_vol": result.annualized_vol,
            "as_of": iso_utc(result.as_of),
        }
    if isinstance(result, RegimeProbabilities):
        return {
            "rows": 1,
            "symbols": [result.symbol],
            "state": result.state,
            "probabilities": result.by_name(),
            "as_of": iso_utc(result.as_of),
        }
    if isinstance(result, SentimentScores):
        summary = {"rows": int(result.scores.shape[0]), "method": result.method}
        if result.labels is None:
            summary["compound"] = _stats(result.scores[:, 0])
        else:
            summary["labels"] = {str(k): result.labels.count(k) for k in result.columns}
        return summary
    raise TypeError(f"no summary for {type(result).__name__}")


def prediction_publish(*, served: Served, result, user=None, elapsed_ms: float | None = None) -> str | None:
    """Publish the request's summary on `ml.predictions.{model}`; the event id, or None when the bus
    buffered it or could not take it."""
    payload = json_safe(
        {
            **served.describe(),
            **_summary(result),
            "user": user.get_username() if user is not None and user.is_authenticated else None,
            "elapsed_ms": elapsed_ms,
            "at": iso_utc(dt.datetime.now(tz=dt.UTC)),
        }
    )
    try:
        return bus.publish(predictions_topic(served.model_name), payload)
    except Exception:  # a prediction made is not undone by a bus fault
        log.exception("could not publish %s", predictions_topic(served.model_name))
        return None
