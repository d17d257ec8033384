"""Which arm of a running A/B test serves a price prediction, and the shadow arms' scores.

A request to a price model with a running test (and no explicit `version`: a request pinning a
version is outside the test) is served by the arm `assign_arms` gives its request key: the body's
`request_key`, else the symbol and the timestamp of its latest bar ("AAPL@2024-10-27T00:00:00Z"; a
batch: its symbols and bars joined, so a batch is served by one arm). With `shadow`, every other arm
scores the same rows: the very values the served arm predicted from, matched by feature label (a
feature only the shadow version reads is read from the store or filled, as for any prediction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from apps.marketdata import facade as marketdata
from apps.platform.timestamps import iso_utc

from ..models import ModelKind
from .abtests import RunningTest, running_test
from .predictions import ReturnPredictions, returns_predict
from .serving import Served, served_get


@dataclass(frozen=True)
class Routed:
    served: Served
    test: RunningTest | None
    position: int | None  # the serving arm
    key: str
    bar_ts: tuple[pd.Timestamp | None, ...]  # per row: the symbol's latest bar (None: no symbol, no bars)


def bar_stamps(symbols: Sequence[str | None]) -> tuple[pd.Timestamp | None, ...]:
    """The latest bar timestamp of each row's symbol (None where there is no symbol or no bar)."""
    asked = list(dict.fromkeys(s.strip().upper() for s in symbols if isinstance(s, str)))
    # Only known instruments: a row predicted from body values alone needs none (and gets no record).
    known = marketdata.instruments_by_symbols(asked) if asked else {}
    stamps = {}
    if known:
        _, ts = marketdata.latest_closes([info.id for info in known.values()])
        stamps = dict(zip(known, ts, strict=True))
    out = []
    for s in symbols:
        ts = stamps.get(s.strip().upper()) if isinstance(s, str) else None
        out.append(None if ts is None or pd.isna(ts) else pd.Timestamp(ts))
    return tuple(out)


def default_key(symbols: Sequence[str | None], bar_ts: Sequence[pd.Timestamp | None]) -> str:
    parts = [
        f"{s.strip().upper() if isinstance(s, str) else ''}@{iso_utc(t) if t is not None else ''}"
        for s, t in zip(symbols, bar_ts, strict=True)
    ]
    return ",".join(parts)[:200]


def ab_route(
    served: Served, *, symbols: Sequence[str | None], version_pinned: bool, key: str | None
) -> Routed:
    """The version serving this request (see the module docstring)."""
    bar_ts = bar_stamps(symbols) if served.kind == ModelKind.PRICE else (None,) * len(symbols)
    key = key or default_key(symbols, bar_ts)
    test = None if version_pinned or served.kind != ModelKind.PRICE else running_test(served.model_id)
    if test is None:
        return Routed(served, None, None, key, bar_ts)
    position = int(test.assign([key])[0])
    arm = test.arms[position]
    if arm.version_id != served.version_id:
        served = served_get(kind=served.kind, model=served.model_id, version=arm.version.number)
    return Routed(served, test, position, key, bar_ts)


@dataclass(frozen=True)
class ShadowScore:
    position: int
    version_id: int
    predicted: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    values: np.ndarray


def shadow_scores(routed: Routed, result: ReturnPredictions) -> list[ShadowScore]:
    """Every other arm's predictions of the served rows (none without a shadow test)."""
    test = routed.test
    if test is None or not test.shadow:
        return []
    out = []
    for arm in test.arms:
        if arm.position == routed.position:
            continue
        other = served_get(kind=ModelKind.PRICE, model=routed.served.model_id, version=arm.version.number)
        # The served row's values by feature label; a feature only this version reads comes from the
        # store (or its fill) as for any prediction. With the same features, nothing is read.
        column = {label: j for j, label in enumerate(result.features)}
        given = np.full((len(result), len(other.bundle.features)), np.nan)
        for k, label in enumerate(other.bundle.features):
            if label in column:
                given[:, k] = result.values[:, column[label]]
        theirs = returns_predict(other, symbols=list(result.symbols), given=given)
        values, predicted, lower, upper = (
            theirs.values,
            theirs.predicted_return,
            theirs.lower_return,
            theirs.upper_return,
        )
        out.append(ShadowScore(arm.position, arm.version_id, predicted, lower, upper, values))
    return out
