"""POST /api/ml/predict/price: the seed's body answers; predictions equal the bundle's LightGBM model
called directly, the interval is the prediction ± the conformal half-width at its coverage; features
missing from the body come from the online store (written with the features engine's services) or
are filled with the training median, and the answer says which; a batch answers as its rows one by
one; one summary per request on the bus; every refusal is a 400 naming its field."""

from __future__ import annotations

import numpy as np
import pytest

from apps.ml.models import ModelVersion
from apps.ml.services.versions import version_create
from apps.platform import bus
from tests.ml.serving import ALPHA, FEATURES, price_bundle, price_store, register

pytestmark = pytest.mark.django_db
URL = "/api/ml/predict/price"


@pytest.fixture
def bundle():
    return price_bundle()


@pytest.fixture
def served(bundle, user):
    return register("aapl-ret", "price", "lightgbm", bundle, user=user)


def direct(bundle, X) -> np.ndarray:
    """The reference: LightGBM's own predict on the same rows."""
    return bundle.estimator.predict(np.asarray(X, dtype=float))


def test_every_feature_in_the_body_predicts_as_the_estimator(api_client, served, bundle):
    values = {"rsi_14@1": 71.0, "sma_10@1": 98.5, "roc_5@1": -1.5}
    resp = api_client.post(URL, {"symbol": "aapl", "current_price": 150.0, "features": values}, format="json")
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    r = direct(bundle, [[71.0, 98.5, -1.5]])[0]
    q = bundle.halfwidth
    assert body["predicted_return"] == pytest.approx(r, rel=1e-12)
    assert (body["lower_return"], body["upper_return"]) == pytest.approx((r - q, r + q), rel=1e-12)
    assert body["coverage"] == pytest.approx(1 - ALPHA)
    assert body["predicted_price"] == pytest.approx(150.0 * (1 + r), rel=1e-12)
    assert (body["lower_price"], body["upper_price"]) == pytest.approx(
        (150.0 * (1 + r - q), 150.0 * (1 + r + q)), rel=1e-12
    )
    assert body["features"] == values
    assert body["sources"] == dict.fromkeys(FEATURES, "body") and body["filled"] == []
    assert (body["model"], body["version"], body["alias"], body["kind"]) == (
        "aapl-ret",
        1,
        "champion",
        "price",
    )
    assert (body["symbol"], body["horizon"], body["interval"]) == ("AAPL", 5, "1d")
    assert set(body["timings"]) == {"resolve_ms", "features_ms", "predict_ms", "record_ms", "total_ms"}


def test_the_seed_body_reads_the_store_and_fills_what_it_lacks(api_client, served, bundle):
    last = price_store(stored=FEATURES[:2])  # roc_5 is defined but nothing is stored for it
    resp = api_client.post(URL, {"symbol": "AAPL", "current_price": 150.0, "features": {}}, format="json")
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    rsi, close = last["AAPL"]["rsi_14@1"]
    sma, _ = last["AAPL"]["sma_10@1"]
    fill = bundle.fill[2]
    assert body["features"] == {"rsi_14@1": rsi, "sma_10@1": sma, "roc_5@1": fill}
    assert body["sources"] == {"rsi_14@1": "store", "sma_10@1": "store", "roc_5@1": "fill"}
    assert body["filled"] == ["roc_5@1"]
    expected_known = close.isoformat().replace("+00:00", "Z")
    assert body["known_at"] == {"rsi_14@1": expected_known, "sma_10@1": expected_known}
    assert body["predicted_return"] == pytest.approx(direct(bundle, [[rsi, sma, fill]])[0], rel=1e-12)


def test_a_value_in_the_body_wins_over_the_store_and_bare_names_are_accepted(api_client, served, bundle):
    last = price_store(stored=FEATURES[:2])
    resp = api_client.post(
        URL, {"symbol": "MSFT", "features": {"rsi_14": 12.0, "sma_10@1": None}}, format="json"
    )
    body = resp.json()
    sma = last["MSFT"]["sma_10@1"][0]
    assert body["features"] == {"rsi_14@1": 12.0, "sma_10@1": sma, "roc_5@1": bundle.fill[2]}
    assert body["sources"] == {"rsi_14@1": "body", "sma_10@1": "store", "roc_5@1": "fill"}
    assert body["predicted_price"] is None and body["current_price"] is None  # no price given


def test_a_batch_answers_as_its_rows_one_by_one(api_client, served, bundle):
    price_store(stored=FEATURES[:2])
    rows = [
        {"symbol": "AAPL", "current_price": 150.0},
        {"symbol": "MSFT", "features": {"roc_5": 3.0}},
        {"features": {"rsi_14@1": 40.0}},  # no symbol: nothing to read, the rest filled
        {
            "symbol": "aapl",
            "features": dict(zip(FEATURES, [50.0, 101.0, -2.0], strict=True)),
            "current_price": 2.5,
        },
    ]
    batch = api_client.post(URL, {"rows": rows}, format="json")
    assert batch.status_code == 200, batch.json()
    answers = batch.json()["predictions"]
    assert len(answers) == 4
    for row, answer in zip(rows, answers, strict=True):
        single = api_client.post(URL, row, format="json").json()  # each row is a one-row body too
        assert {key: single[key] for key in answer} == answer
    X = np.array([[a["features"][f] for f in FEATURES] for a in answers])
    np.testing.assert_allclose([a["predicted_return"] for a in answers], direct(bundle, X), rtol=1e-12)
    assert answers[2]["filled"] == ["sma_10@1", "roc_5@1"] and answers[2]["symbol"] is None

    by_symbols = api_client.post(URL, {"symbols": ["AAPL", "MSFT"]}, format="json").json()["predictions"]
    assert [a["symbol"] for a in by_symbols] == ["AAPL", "MSFT"]
    assert by_symbols[0]["features"] == answers[0]["features"]


def test_one_summary_per_request_on_the_bus(api_client, served, fresh_bus):
    price_store(stored=FEATURES[:2])
    api_client.post(URL, {"symbols": ["AAPL", "MSFT", "AAPL"]}, format="json")
    api_client.post(URL, {"symbol": "AAPL"}, format="json")
    events = list(bus.subscribe("ml.predictions.aapl-ret", last_id="0", follow=False))
    assert len(events) == 2
    first = events[0].payload
    assert (first["model"], first["version"], first["alias"], first["rows"]) == ("aapl-ret", 1, "champion", 3)
    assert first["symbols"] == ["AAPL", "MSFT"] and first["symbol_count"] == 2
    assert first["cells_from_store"] == 6 and first["cells_filled"] == 3 and first["user"] == "alice"
    assert set(first["predicted_return"]) == {"mean", "min", "max"}


def test_the_model_and_version_are_chosen_by_the_body(api_client, served, user):
    model, _ = served
    version_create(model=model, artifact=price_bundle(seed=5), train_start=None, train_end=None)
    features = {"features": dict.fromkeys(FEATURES, 1.0)}
    champion = api_client.post(URL, features, format="json").json()
    by_number = api_client.post(URL, {**features, "model": "aapl-ret", "version": 2}, format="json").json()
    by_id = api_client.post(
        URL, {**features, "model": str(model.pk), "alias": "champion"}, format="json"
    ).json()
    assert (champion["version"], champion["alias"]) == (1, "champion")
    assert (by_number["version"], by_number["alias"]) == (2, None)
    assert by_id["version"] == 1 and by_number["predicted_return"] != champion["predicted_return"]


A = {"symbol": "AAPL"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({**A, "model": "nope"}, "model"),
        ({**A, "alias": "challenger"}, "model"),  # no price model has that alias
        ({**A, "model": "aapl-ret", "alias": "challenger"}, "alias"),
        ({**A, "model": "aapl-ret", "version": 9}, "version"),
        ({**A, "model": "aapl-ret", "version": 1, "alias": "champion"}, "version"),
        ({**A, "model": "aapl-vol"}, "model"),  # a volatility model
        ({**A, "model": "aapl-ret", "version": 2}, "version"),  # failed in training: no model
        ({**A, "features": {"rsi_99": 1.0}}, "features"),
        ({**A, "features": {"rsi_14": "high"}}, "features"),
        ({**A, "features": {"rsi_14": True}}, "features"),
        ({**A, "features": [1, 2, 3]}, "features"),
        ({"symbol": "NOPE"}, "symbol"),
        ({**A, "current_price": -1}, "current_price"),
        ({}, "symbol"),
        ({"symbols": ["AAPL"], "rows": [A]}, "rows"),
        ({"symbols": ["AAPL"], "features": {}}, "features"),
        ({"symbols": []}, "symbols"),
        ({"symbols": ["NOPE", "AAPL"]}, "symbols"),
        ({"rows": [{**A, "colour": 1}]}, "rows"),
        ({"rows": [A, {"features": {"rsi_14": "x"}}]}, "rows"),
        ({"rows": [{"current_price": 0}]}, "rows"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, served, user, body, field):
    model, _ = served
    version_create(model=model, artifact=None, status="failed", error="too few rows")
    register("aapl-vol", "volatility", "garch", {"not": "used"}, user=user, alias=None)
    price_store(symbols=("AAPL",), stored=FEATURES[:2])
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 400, resp.json()
    assert field in resp.json(), resp.json()


def test_the_row_caps_are_settings(api_client, served, settings):
    settings.ML_PREDICT_API_MAX_ROWS = 2
    too_many = api_client.post(URL, {"symbols": ["A", "B", "C"]}, format="json")
    assert too_many.status_code == 400 and "At most 2 rows" in too_many.json()["symbols"][0]
    rows = api_client.post(URL, {"rows": [{}, {}, {}]}, format="json")
    assert rows.status_code == 400 and "rows" in rows.json()


def test_an_unknown_kind_is_404_a_form_415_and_no_token_401(api_client, anon_client, served):
    assert api_client.post("/api/ml/predict/weather", {"symbol": "AAPL"}, format="json").status_code == 404
    assert api_client.post(URL, {"symbol": "AAPL"}).status_code == 415  # multipart, not JSON
    assert anon_client.post(URL, {"symbol": "AAPL"}, format="json").status_code == 401


def test_no_model_of_the_kind_is_a_400_on_model(api_client, db):
    resp = api_client.post(URL, {"symbol": "AAPL"}, format="json")
    assert resp.status_code == 400 and "no price model has an alias 'champion'" in resp.json()["model"][0]
    assert not ModelVersion.objects.exists()
