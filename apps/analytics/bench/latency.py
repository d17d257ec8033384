"""The calculate endpoint's latency for `bench analytics`: POST /api/analytics/calculate/{code} on a
portfolio of N positions, through Django's full request stack (auth, throttles, serializers), next to
GET /api/portfolio/portfolios/{code}/ on the same portfolio — a plain read of the same book — as the
floor any request pays. The data is made for the run under BENCHAN_ names and removed afterwards."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.test import Client

from apps.marketdata.models import Bar, Instrument
from apps.marketdata.services import storage
from apps.portfolio.models import Portfolio
from apps.portfolio.services import portfolio_create, transaction_record


def calculate_latency(*, positions: int, requests: int) -> dict[str, float]:
    """p50/p99 in ms of the calculate call and of the baseline read."""
    tag = uuid.uuid4().hex[:6].upper()
    user = get_user_model().objects.create_user(username=f"benchan_{tag.lower()}", password=uuid.uuid4().hex)
    instruments = Instrument.objects.bulk_create(
        [Instrument(symbol=f"BENCHAN{tag}{i:03d}", sector=f"S{i % 8}") for i in range(positions)]
    )
    try:
        days = pd.bdate_range(end=pd.Timestamp.now(tz="UTC").normalize(), periods=10, tz="UTC")
        close = 100.0 + np.arange(len(days), dtype=float)
        storage.bars_upsert(
            pd.concat(
                pd.DataFrame({"instrument_id": inst.pk, "ts": days, "open": close, "high": close + 1,
                              "low": close - 1, "close": close, "adj_close": close, "volume": 1e6})
                for inst in instruments
            ),
            interval="1d",
        )  # fmt: skip
        portfolio = portfolio_create(
            code=f"benchan_{tag.lower()}", name="bench", owner=user, initial_cash=Decimal("10000000")
        )
        for inst in instruments:
            transaction_record(
                portfolio=portfolio,
                type="buy",
                instrument=inst,
                quantity=Decimal("100"),
                price=Decimal("100"),
            )
        client = Client()
        client.force_login(user)
        calc = _latencies(lambda: client.post(f"/api/analytics/calculate/{portfolio.code}"), requests)
        read = _latencies(lambda: client.get(f"/api/portfolio/portfolios/{portfolio.code}/"), requests)
        return {
            "calculate_p50_ms": float(np.percentile(calc, 50)),
            "calculate_p99_ms": float(np.percentile(calc, 99)),
            "read_p50_ms": float(np.percentile(read, 50)),
            "read_p99_ms": float(np.percentile(read, 99)),
        }
    finally:
        Portfolio.objects.filter(owner=user).delete()
        Bar.objects.filter(instrument__in=instruments).delete()
        Instrument.objects.filter(pk__in=[i.pk for i in instruments]).delete()
        user.delete()


def _latencies(call, n: int) -> np.ndarray:
    call()  # warm-up: first-request imports and caches
    out = np.empty(n)
    for k in range(n):
        start = time.perf_counter()
        response = call()
        out[k] = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise RuntimeError(
                f"bench request failed: HTTP {response.status_code} {response.content[:200]!r}"
            )
    return out
