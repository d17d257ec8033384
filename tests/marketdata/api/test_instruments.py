from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.marketdata import facade
from apps.marketdata.models import Instrument
from apps.marketdata.services import instrument_create, instrument_upsert

URL = "/api/marketdata/instruments/"
pytestmark = pytest.mark.django_db


def _symbols(resp):
    return [r["symbol"] for r in resp.json()["results"]]


def test_reading_needs_credentials(anon_client, instruments):
    assert anon_client.get(URL).status_code == 401
    assert anon_client.get(URL + "AAPL/").status_code == 401


def test_list_is_paginated_and_ordered_by_symbol(api_client, instruments):
    body = api_client.get(URL, {"limit": 2}).json()
    assert body["count"] == 6
    assert [r["symbol"] for r in body["results"]] == ["AAPL", "EURUSD"]
    assert body["next"] is not None
    second = api_client.get(URL, {"limit": 2, "offset": 2}).json()
    assert [r["symbol"] for r in second["results"]] == ["JPM", "MSFT"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"sector": "technology"}, ["AAPL", "MSFT", "SAP"]),
        ({"asset_class": "etf"}, ["SPY"]),
        ({"currency": "EUR"}, ["SAP"]),
        ({"exchange": "NYSE"}, ["JPM"]),
        ({"symbol": "msft"}, ["MSFT"]),
        ({"search": "dollar"}, ["EURUSD"]),
        ({"sector": "Technology", "ordering": "-symbol"}, ["SAP", "MSFT", "AAPL"]),
    ],
)
def test_list_filters(api_client, instruments, query, expected):
    resp = api_client.get(URL, query)
    assert resp.status_code == 200
    assert _symbols(resp) == expected


def test_detail_by_symbol_is_case_insensitive(api_client, instruments):
    body = api_client.get(URL + "aapl/").json()
    assert body["symbol"] == "AAPL" and body["currency"] == "USD" and Decimal(body["lot_size"]) == 1
    assert api_client.get(URL + "NOPE/").status_code == 404


def test_only_staff_may_write(api_client, staff_client, instruments):
    new = {
        "symbol": "nvda",
        "name": "NVIDIA",
        "asset_class": "equity",
        "currency": "usd",
        "sector": "Technology",
    }
    assert api_client.post(URL, new, format="json").status_code == 403
    assert api_client.patch(URL + "AAPL/", {"name": "x"}, format="json").status_code == 403

    resp = staff_client.post(URL, new, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["symbol"] == "NVDA" and resp.json()["currency"] == "USD"

    resp = staff_client.patch(URL + "AAPL/", {"sector": "Consumer Tech"}, format="json")
    assert resp.status_code == 200
    assert Instrument.objects.get(symbol="AAPL").sector == "Consumer Tech"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"symbol": "AAPL", "name": "dup"}, "symbol"),
        ({"symbol": "X1", "currency": "US"}, "currency"),
        ({"symbol": "X2", "lot_size": "0"}, "lot_size"),
        ({"symbol": "X3", "lot_size": "-1"}, "lot_size"),
        ({"symbol": "X4", "asset_class": "stock"}, "asset_class"),
    ],
)
def test_bad_input_is_a_400_on_the_field(staff_client, instruments, body, field):
    resp = staff_client.post(URL, body, format="json")
    assert resp.status_code == 400
    assert field in resp.json()


def test_database_rejects_a_non_positive_lot_size(instruments):
    with pytest.raises(IntegrityError), transaction.atomic():
        Instrument.objects.create(symbol="BAD", lot_size=Decimal("0"))


def test_service_validates_with_field_messages(instruments):
    with pytest.raises(ValidationError) as err:
        instrument_create(symbol="zzz", currency="dollars")
    assert "currency" in err.value.message_dict


def test_upsert_creates_then_updates(db):
    inst, created = instrument_upsert(symbol="tsla", name="Tesla", sector="Autos")
    assert created and inst.symbol == "TSLA"
    again, created = instrument_upsert(symbol="TSLA", name="Tesla Inc.", sector="Autos")
    assert not created and again.pk == inst.pk and again.name == "Tesla Inc."


def test_facade_returns_frozen_dataclasses(instruments):
    info = facade.instrument_get("aapl")
    assert info.symbol == "AAPL" and info.sector == "Technology" and info.id == instruments["AAPL"].pk
    with pytest.raises(AttributeError):
        info.symbol = "X"
    assert facade.instrument_get("NOPE") is None
    found = facade.instruments_by_symbols(["spy", "EURUSD", "NOPE"])
    assert set(found) == {"SPY", "EURUSD"} and found["SPY"].asset_class == "etf"
    assert [i.symbol for i in facade.instruments_active()] == sorted(instruments)
