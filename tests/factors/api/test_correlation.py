"""GET /api/factors/correlation/{id} and POST /api/factors/correlation: the mean cross-sectional
rank correlation equals pandas' per-date Spearman averaged, the IC correlation equals pandas'
correlation of the stored analyses' daily rank IC series; unknown ids 404, bad input 400."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.factors.services.analyses import analysis_run

from .conftest import SYMBOLS

pytestmark = pytest.mark.django_db
CLEAN = [s for s in SYMBOLS if s != "GAP"]  # same coverage for every factor on every date


def _window_mask(index, window):
    return (index >= pd.Timestamp(window["start"], tz="UTC")) & (
        index < pd.Timestamp(window["end"], tz="UTC") + pd.Timedelta(days=1)
    )


def _pandas_factors(factor_market, window):
    wide = {
        f: pd.DataFrame({s: factor_market[s][f] for s in CLEAN}).sort_index()
        for f in ("close", "high", "low")
    }
    close = wide["close"]
    factors = {
        "mom_5@1": close / close.shift(5) - 1,
        "rev_3@1": close.shift(3) / close,
        "range_hl@1": (wide["high"] - wide["low"]) / close,
    }
    return {k: v[_window_mask(v.index, window)] for k, v in factors.items()}


def _mean_spearman(a: pd.DataFrame, b: pd.DataFrame) -> float:
    return float(a.corrwith(b, axis=1, method="spearman").mean())


def test_one_factor_against_others_equals_pandas(api_client, factor_market, price_factors, window):
    mom, rev, rng = price_factors
    url = f"/api/factors/correlation/{mom.pk}"
    resp = api_client.get(url, {"against": f"rev_3,{rng.pk}", "symbols": ",".join(CLEAN), **window})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert [r["factor"]["label"] for r in body["against"]] == ["rev_3@1", "range_hl@1"]
    panels = _pandas_factors(factor_market, window)
    for row in body["against"]:
        expected = _mean_spearman(panels["mom_5@1"], panels[row["factor"]["label"]])
        assert row["rank_correlation"] == pytest.approx(expected, rel=1e-10)

    # the daily rank IC series of 1-bar analyses, correlated by pandas
    start, end = (
        pd.Timestamp(window["start"], tz="UTC"),
        pd.Timestamp(window["end"], tz="UTC") + pd.Timedelta(days=1),
    )
    rows = analysis_run(definitions=price_factors, symbols=CLEAN, start=start, end=end, horizons=[1])
    ic = [pd.Series(r.results["series"]["rank_ic"][0], dtype=float) for r in rows]
    spread = [pd.Series(r.results["series"]["spread"][0], dtype=float) for r in rows]
    for k, row in enumerate(body["against"], start=1):
        assert row["ic_correlation"] == pytest.approx(ic[0].corr(ic[k]), rel=1e-10)
        assert row["spread_correlation"] == pytest.approx(spread[0].corr(spread[k]), rel=1e-10)

    # without a window, the factor's latest analysis gives it
    again = api_client.get(url, {"against": "rev_3,range_hl"}).json()
    assert again["symbols"] == CLEAN and again["against"] == body["against"]
    # the factor named as everywhere else: "name" (its latest version) or "name@version"
    for ref in ("mom_5", "mom_5@1"):
        named = api_client.get(f"/api/factors/correlation/{ref}", {"against": "rev_3,range_hl"})
        assert named.status_code == 200, named.content
        assert named.json()["factor"]["id"] == mom.pk and named.json()["against"] == body["against"]


def test_the_matrix_is_symmetric_and_equals_the_pairs(api_client, factor_market, price_factors, window):
    body = {"factors": ["mom_5", "rev_3", "range_hl"], "symbols": CLEAN, **window}
    resp = api_client.post("/api/factors/correlation", body, format="json")
    assert resp.status_code == 200, resp.content
    out = resp.json()
    labels = [f["label"] for f in out["factors"]]
    panels = _pandas_factors(factor_market, window)
    for name in ("rank_correlation", "ic_correlation", "spread_correlation"):
        m = np.array(out[name], dtype=float)
        np.testing.assert_allclose(m, m.T, rtol=1e-12)
        np.testing.assert_allclose(np.diag(m), 1.0)
    rank = np.array(out["rank_correlation"])
    for i in range(3):
        for j in range(i + 1, 3):
            assert rank[i, j] == pytest.approx(
                _mean_spearman(panels[labels[i]], panels[labels[j]]), rel=1e-10
            )
    pair = api_client.get(
        f"/api/factors/correlation/{price_factors[0].pk}",
        {"against": "rev_3,range_hl", "symbols": ",".join(CLEAN), **window},
    ).json()
    np.testing.assert_allclose(
        out["ic_correlation"][0][1:], [r["ic_correlation"] for r in pair["against"]], rtol=1e-12
    )


def test_unknown_ids_are_404_and_bad_input_400(api_client, factor_market, price_factors, window):
    mom = price_factors[0]
    for ref in ("999999", "nope", "mom_5@7", "gen.not_in_the_catalogue"):
        resp = api_client.get(f"/api/factors/correlation/{ref}", {"against": "rev_3"})
        assert resp.status_code == 404 and f"unknown factor: {ref}" in resp.json()["detail"], resp.content
    cases = [
        ({"symbols": "AAA,BBB", **window}, "against"),
        ({"against": "nope", "symbols": "AAA,BBB", **window}, "against"),
        ({"against": "rev_3"}, "symbols"),  # no analysis to take the window from
        ({"against": "rev_3", "symbols": "AAA,ZZZ", **window}, "symbols"),
        ({"against": "rev_3", "symbols": "AAA", "start": "2023-06-01", "end": "2023-05-01"}, "end"),
    ]
    for params, field in cases:
        resp = api_client.get(f"/api/factors/correlation/{mom.pk}", params)
        assert resp.status_code == 400 and field in resp.json(), (params, resp.content)
    resp = api_client.post("/api/factors/correlation", {"factors": ["mom_5"], **window}, format="json")
    assert resp.status_code == 400 and "symbols" in resp.json()
