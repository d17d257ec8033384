"""Book read latency for `manage.py bench portfolio`: `GET /api/portfolio/portfolios/{code}/` of a
portfolio of N positions through the whole stack (DRF test client, token-free forced auth), p50 and
p99, next to the database read of the same rows alone (the floor any serializer sits on), the same
read of a portfolio without positions (the floor of the stack), and the
model serializers' answer of the same portfolio rendered to JSON without HTTP (how the read was
made before: a Position and an Instrument per row, a field object per value). Built in a
transaction that is rolled back."""

from __future__ import annotations

import time
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from apps.marketdata.services import instrument_upsert

from ..api.serializers import PortfolioDetailSerializer
from ..models import Portfolio, Position
from ..services import portfolio_create


class _Rollback(Exception):
    pass


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ms = np.array(samples) * 1000.0
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def book(n_positions: int, tag: str) -> Portfolio:
    user = get_user_model().objects.create(username=f"bench-read-{tag}")
    p = portfolio_create(code=f"bench-read-{tag}", name="bench", owner=user, initial_cash=Decimal("1e6"))
    ids = [
        instrument_upsert(symbol=f"BNCHR{i}", name=f"Bench read {i}", sector=f"S{i % 10}")[0].pk
        for i in range(n_positions)
    ]
    Position.objects.bulk_create(
        Position(portfolio=p, instrument_id=i, quantity=Decimal(10 + k), average_cost=Decimal("101.25"))
        for k, i in enumerate(ids)
    )
    return p


def figures(*, n_positions: int, requests: int) -> list[dict]:
    from .run import figure

    out: list[dict] = []
    try:
        with transaction.atomic():
            p = book(n_positions, str(time.time_ns()))
            client = APIClient()
            client.force_authenticate(p.owner)
            url = f"/api/portfolio/portfolios/{p.code}/"
            # the same read of a portfolio without positions: the stack's floor (auth, throttle,
            # the portfolio's own row), timed alternately with the full one so both see the same load
            empty = portfolio_create(code=f"{p.code}-empty", name="bench", owner=p.owner)
            empty_url = f"/api/portfolio/portfolios/{empty.code}/"
            assert client.get(url).status_code == client.get(empty_url).status_code == 200
            api, floor = [], []
            for _ in range(requests):
                t0 = time.perf_counter()
                client.get(url)
                api.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                client.get(empty_url)
                floor.append(time.perf_counter() - t0)
            db = []
            for _ in range(requests):
                t0 = time.perf_counter()
                list(
                    Position.objects.filter(portfolio=p).values_list(
                        "instrument_id", "instrument__symbol", "instrument__name", "quantity", "average_cost"
                    )
                )
                db.append(time.perf_counter() - t0)
            model = []
            for _ in range(max(requests // 4, 5)):
                t0 = time.perf_counter()
                row = Portfolio.objects.select_related("owner", "group", "benchmark")
                row = row.prefetch_related("positions__instrument").get(pk=p.pk)
                JSONRenderer().render(PortfolioDetailSerializer(row).data)
                model.append(time.perf_counter() - t0)
            (p50, p99), (b50, b99) = _percentiles(api), _percentiles(db)
            m50, _ = _percentiles(model)
            out = [
                {
                    **figure(f"book_read_{n_positions}_positions_p50_ms", p50, "ms", b50),
                    "baseline_name": "the rows alone",
                    "empty_portfolio_p50_ms": _percentiles(floor)[0],
                },
                {
                    **figure(f"book_read_{n_positions}_positions_p99_ms", p99, "ms", b99),
                    "baseline_name": "the rows alone",
                },
                {
                    **figure(f"book_read_{n_positions}_positions_model_serializer_p50_ms", m50, "ms", p50),
                    "baseline_name": "the API read (book_read p50)",
                },
            ]
            raise _Rollback
    except _Rollback:
        pass
    return out
