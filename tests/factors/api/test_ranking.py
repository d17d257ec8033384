"""GET /api/factors/ranking: on constructed factors — one built from the next bar's return, one
half signal half noise, one pure noise — the future factor ranks first and the noise last; the
adjusted p-values are Benjamini-Hochberg across the factors ranked; the deflated best is not luck."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from apps.factors.services.analyses import analysis_run
from apps.factors.services.definitions import definition_save
from apps.marketdata import facade as marketdata
from apps.marketdata.services.storage import bars_upsert
from apps.platform.timestamps import iso_utc

from .conftest import SYMBOLS

pytestmark = pytest.mark.django_db
URL = "/api/factors/ranking"


@pytest.fixture
def constructed(factor_market):
    """$volume := 1000 * (1 + the next bar's return) (future information); $vwap := noise."""
    rng = np.random.default_rng(13)
    for symbol, frame in factor_market.items():
        f = frame.reset_index()
        f["instrument_id"] = marketdata.instrument_get(symbol).id
        f["volume"] = 1000.0 * (1.0 + (f["close"].shift(-1) / f["close"] - 1.0).fillna(0.0))
        f["vwap"] = rng.normal(100.0, 1.0, len(f))
        bars_upsert(f, interval="1d")
    defs = [
        definition_save(name="noise", formula="$vwap", library="test"),
        definition_save(name="future", formula="$volume", library="test"),
        definition_save(name="blend", formula="cs_rank($volume) + 3 * cs_rank($vwap)", library="test"),
    ]
    dates = factor_market["AAA"].index
    return analysis_run(definitions=defs, symbols=SYMBOLS, start=dates[20], end=dates[280])


def test_the_future_factor_ranks_first_and_the_noise_last(api_client, constructed):
    for by in ("icir", "ic", "rank_ic", "spread", "t_stat"):
        body = api_client.get(URL, {"by": by}).json()
        labels = [r["factor"]["label"] for r in body["results"]]
        assert labels == ["future@1", "blend@1", "noise@1"], by
    body = api_client.get(URL, {"by": "icir"}).json()
    first = body["results"][0]
    future = constructed[1]
    assert first["value"] == future.icir and first["analysis_id"] == future.pk
    assert first["start"] == iso_utc(future.start) and first["symbols"] == SYMBOLS  # where it is from
    assert body["deflated"]["factor"] == "future@1" and body["deflated"]["lucky"] is False
    assert body["deflated"]["trials"] == 3


def test_p_values_are_adjusted_across_the_factors_ranked(api_client, constructed):
    body = api_client.get(URL, {"by": "icir", "limit": 2}).json()
    assert body["ranked"] == 3 and len(body["results"]) == 2
    by_label = {a.definition.label: a.p_value for a in constructed}
    order = ["future@1", "blend@1", "noise@1"]
    expected = multipletests([by_label[x] for x in order], method="fdr_bh")[1]
    np.testing.assert_allclose([r["p_value_adjusted"] for r in body["results"]], expected[:2], rtol=1e-12)
    assert body["results"][0]["p_value_adjusted"] < 1e-6


def test_the_deflated_best_of_noise_alone_is_flagged_as_luck(api_client, factor_market):
    rng_defs = [
        definition_save(
            name=f"noise_{k}", formula=f"cs_rank($vwap) + {k} * cs_rank($volume)", library="noise"
        )
        for k in range(4)
    ]
    dates = factor_market["AAA"].index
    rng = np.random.default_rng(5)
    for symbol, frame in factor_market.items():
        f = frame.reset_index()
        f["instrument_id"] = marketdata.instrument_get(symbol).id
        f["vwap"], f["volume"] = rng.normal(100.0, 1.0, len(f)), rng.normal(1000.0, 10.0, len(f))
        bars_upsert(f, interval="1d")
    analysis_run(definitions=rng_defs, symbols=SYMBOLS, start=dates[20], end=dates[280])
    body = api_client.get(URL, {"by": "icir", "library": "noise"}).json()
    assert body["ranked"] == 4 and body["deflated"]["lucky"] is True


def test_filters_and_bad_input(api_client, constructed):
    assert api_client.get(URL, {"library": "other"}).json()["ranked"] == 0
    counts = [a.results["rank_ic"]["n_dates"][0] for a in constructed]
    assert api_client.get(URL, {"min_dates": max(counts) + 1}).json()["ranked"] == 0
    assert api_client.get(URL, {"min_dates": max(counts)}).json()["ranked"] == counts.count(max(counts))
    assert api_client.get(URL, {"min_dates": min(counts)}).json()["ranked"] == 3
    for params, field in (
        ({"by": "sharpe"}, "by"),
        ({"limit": 0}, "limit"),
        ({"min_dates": -1}, "min_dates"),
    ):
        resp = api_client.get(URL, params)
        assert resp.status_code == 400 and field in resp.json(), params
