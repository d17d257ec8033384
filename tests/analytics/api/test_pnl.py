"""POST /api/analytics/calculate/{portfolio}: stored book and ad-hoc positions, permissions, 400s,
and a query count that does not grow with the number of positions (no N+1)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.marketdata.models import FxRate
from apps.marketdata.services import instrument_create
from apps.marketdata.services.storage import bars_upsert
from apps.portfolio.services import portfolio_create, transaction_record

pytestmark = pytest.mark.django_db
D = Decimal
SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE", "SAP"]


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


@pytest.fixture
def market(db):
    out = {s: instrument_create(symbol=s, sector="Tech" if s < "C" else "Other") for s in SYMBOLS[:-1]}
    out["SAP"] = instrument_create(symbol="SAP", currency="EUR", sector="Software")
    FxRate.objects.create(base="EUR", quote="USD", ts=_t("2024-01-01"), rate=1.1)
    rows = [
        {"instrument_id": inst.pk, "ts": pd.Timestamp(day, tz="UTC"), "close": px}
        for i, inst in enumerate(out.values())
        for day, px in (("2024-01-08", 10.0 + i), ("2024-01-09", 11.0 + i))
    ]
    frame = pd.DataFrame(rows)
    frame["open"] = frame["high"] = frame["low"] = frame["close"]
    frame["volume"] = 1.0
    bars_upsert(frame, interval="1d")
    return out


def _portfolio(user, code: str, symbols: list[str]):
    p = portfolio_create(code=code, name=code, owner=user, initial_cash=D("100000"))
    for s in symbols:
        transaction_record(
            portfolio=p, type="buy", instrument=s, quantity=D(10), price=D(10), timestamp=_t("2024-01-02")
        )
    transaction_record(
        portfolio=p,
        type="sell",
        instrument=symbols[0],
        quantity=D(4),
        price=D(12),
        fees=D(1),
        timestamp=_t("2024-01-03"),
    )
    return p


def _url(code: str) -> str:
    return f"/api/analytics/calculate/{code}"


def test_stored_book(api_client, user, market):
    _portfolio(user, "pf", ["AAA", "SAP"])
    r = api_client.post(_url("pf"), {}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["source"] == "book" and body["portfolio"] == "pf" and body["cost_method"] == "fifo"
    s = body["summary"]
    # AAA: realized 4*(12-10) = 8, fee 1, open 6 @ 10 at 11 -> 6. SAP (EUR, close 16): 10*(16-10)*1.1 = 66.
    assert s["realized"] == pytest.approx(8.0)
    assert s["unrealized"] == pytest.approx(6.0 + 66.0)
    assert s["total"] == pytest.approx(8 + 72 - 1)
    # Daily: AAA 6*(11-10) + SAP 10*(16-15)*1.1 = 17.
    assert s["daily"] == pytest.approx(17.0)
    assert body["as_of"].startswith("2024-01-09")
    by_ccy = {g["key"]: g for g in body["by_currency"]}
    assert by_ccy["EUR"]["unrealized"] == pytest.approx(66.0)
    assert {p["symbol"] for p in body["positions"]} == {"AAA", "SAP"}


def test_adhoc_positions(api_client, user, market):
    _portfolio(user, "pf", ["AAA"])
    payload = {
        "positions": [{"symbol": "AAA", "quantity": 100, "price": 150.0}, {"symbol": "bbb", "quantity": -5}]
    }
    r = api_client.post(_url("pf"), payload, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    pos = {p["symbol"]: p for p in body["positions"]}
    assert body["source"] == "positions"
    assert pos["AAA"]["market_value"] == pytest.approx(15000.0)
    assert pos["BBB"]["market_value"] == pytest.approx(-5 * 12.0)  # latest close of BBB is 12
    assert pos["AAA"]["unrealized"] is None  # no cost basis given
    r = api_client.post(
        _url("pf"), {"positions": [{"symbol": "AAA", "quantity": 100, "cost_basis": 1000}]}, format="json"
    )
    assert r.json()["summary"]["unrealized"] == pytest.approx(100 * 11.0 - 1000)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"positions": [{"symbol": "NOPE", "quantity": 1}]}, "positions"),
        ({"positions": [{"symbol": "AAA", "quantity": 1, "price": -1}]}, "positions"),
        ({"positions": [{"symbol": "AAA", "quantity": 0}]}, "positions"),
        ({"positions": [{"quantity": 1}]}, "positions"),
        ({"positions": []}, "positions"),
    ],
)
def test_bad_body_is_400_with_the_field(api_client, user, market, payload, field):
    _portfolio(user, "pf", ["AAA"])
    r = api_client.post(_url("pf"), payload, format="json")
    assert r.status_code == 400
    assert field in r.json()


def test_permissions(api_client, other_client, staff_client, anon_client, user, other_user, market):
    p = _portfolio(user, "pf", ["AAA"])
    assert other_client.post(_url("pf"), {}, format="json").status_code == 403
    assert api_client.post(_url("missing"), {}, format="json").status_code == 404
    assert anon_client.post(_url("pf"), {}, format="json").status_code == 401
    assert staff_client.post(_url("pf"), {}, format="json").status_code == 200
    group = Group.objects.create(name="desk")
    other_user.groups.add(group)
    p.group = group
    p.save(update_fields=["group"])
    assert other_client.post(_url("pf"), {}, format="json").status_code == 200
    assert api_client.post(_url(str(p.pk)), {}, format="json").status_code == 200  # by id too


def _queries(client, code: str, payload) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.post(_url(code), payload, format="json").status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_positions(api_client, user, market):
    _portfolio(user, "small", ["AAA"])
    _portfolio(user, "large", ["AAA", "BBB", "CCC", "DDD", "EEE"])
    # Warm caches (token, content types, which bar intervals each instrument has).
    _queries(api_client, "small", {})
    _queries(api_client, "large", {})
    assert _queries(api_client, "small", {}) == _queries(api_client, "large", {})
    one = {"positions": [{"symbol": "AAA", "quantity": 1}]}
    five = {"positions": [{"symbol": s, "quantity": 1} for s in SYMBOLS[:5]]}
    assert _queries(api_client, "small", one) == _queries(api_client, "small", five)
