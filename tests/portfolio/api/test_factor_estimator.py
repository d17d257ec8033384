"""The `factor` expected-return estimator through the API: Grinold alphas from a factor read through
the factors engine's facade equal a pandas/scipy computation on the same closes; a stored factor is
pinned to its version for a re-run; an unknown factor or a bad formula is a 400 naming the field."""

import numpy as np
import pytest
from pypfopt import EfficientFrontier, risk_models
from scipy import stats

from apps.factors.services.definitions import definition_save
from apps.portfolio.models import Optimization
from tests.portfolio.conftest import MARKET

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Solution may be inaccurate:UserWarning"),
]
URL = "/api/portfolio/optimize/alice_001"
MOMENTUM = "$close/Ref($close, 5) - 1"


def _body(factor, method="max_utility", **extra):
    return {
        "method": method,
        "universe": list(MARKET),
        "estimator": {"returns": "factor", "factor": factor, "covariance": "sample"},
        "params": {"risk_aversion": 5},
        **extra,
    }


def _reference(market, ic=None):
    """alpha = IC x vol x z by hand: 5-day momentum, daily Spearman IC against the next return."""
    factor = (market / market.shift(5) - 1).iloc[1:].to_numpy()
    returns = market.pct_change().iloc[1:].to_numpy()
    if ic is None:
        daily = []
        for t in range(len(returns) - 1):
            ok = np.isfinite(factor[t]) & np.isfinite(returns[t + 1])
            if ok.sum() >= 3:
                daily.append(stats.spearmanr(factor[t, ok], returns[t + 1, ok]).statistic)
        ic = np.mean(daily)
    cov = risk_models.sample_cov(market)
    vol = np.sqrt(np.diag(cov.to_numpy()))
    z = stats.zscore(factor[-1], ddof=1)
    return ic, ic * vol * z, cov


def _by(mapping):
    return np.array([mapping[s] for s in MARKET])


def test_a_formula_gives_grinold_alphas_and_their_weights(api_client, portfolio, market):
    resp = api_client.post(URL, _body({"formula": MOMENTUM}), format="json")
    assert resp.status_code == 200, resp.content
    doc = resp.json()
    ic, alpha, cov = _reference(market)
    est = doc["details"]["estimator"]
    assert est["ic"] == pytest.approx(ic, rel=1e-9)
    assert est["ic_source"].startswith("mean daily rank IC over")
    np.testing.assert_allclose(_by(est["alpha"]), alpha, rtol=1e-9, atol=1e-15)
    assert est["factor"] == MOMENTUM and est["unscored"] == []
    assert any("Grinold" in n for n in doc["notes"])
    assert doc["details"]["missing_data"]["policy"] == "drop_dates"
    ef = EfficientFrontier(alpha, cov, weight_bounds=(0, 1), solver="CLARABEL")
    ref = ef.max_quadratic_utility(risk_aversion=5)
    np.testing.assert_allclose(_by(doc["weights"]), [ref[s] for s in MARKET], atol=1e-4)
    assert doc["expected_return"] == pytest.approx(alpha @ _by(doc["weights"]), rel=1e-9)


def test_a_stored_factor_with_a_given_ic_is_pinned_to_its_version_for_the_rerun(
    api_client, portfolio, market
):
    definition_save(name="test.mom5", formula=MOMENTUM)
    first = api_client.post(URL, _body({"factor": "test.mom5", "ic": 0.05}), format="json").json()
    est = first["details"]["estimator"]
    _, alpha, _ = _reference(market, ic=0.05)
    assert est["factor"] == "test.mom5@1" and est["ic"] == 0.05 and est["ic_source"] == "given"
    np.testing.assert_allclose(_by(est["alpha"]), alpha, rtol=1e-9, atol=1e-15)
    definition_save(name="test.mom5", formula="$close/Ref($close, 10) - 1")  # version 2
    again = api_client.post(f"/api/portfolio/optimizations/{first['id']}/rerun").json()
    assert again["details"] == first["details"]
    np.testing.assert_allclose(_by(again["weights"]), _by(first["weights"]), atol=1e-9)
    latest = api_client.post(URL, _body({"factor": "test.mom5", "ic": 0.05}), format="json").json()
    assert latest["details"]["estimator"]["factor"] == "test.mom5@2"


@pytest.mark.parametrize(
    ("estimator", "field"),
    [
        ({"factor": {"factor": "no.such.factor"}}, "estimator.factor.factor"),
        ({"factor": {"formula": "Mean($close, 5"}}, "estimator.factor.formula"),
        ({"factor": {"formula": "Meen($close, 5)"}}, "estimator.factor.formula"),
        ({"factor": {"formula": "Mean($close, 5000)"}}, "estimator.factor.formula"),
        ({"factor": {"formula": "$close * 0 + 1"}}, "estimator.factor.formula"),  # no cross-section
        ({"factor": {"factor": "x", "formula": "$close"}}, "estimator"),
        ({"factor": {"formula": "$close", "ic": 2}}, "estimator"),
        ({}, "estimator"),
    ],
)
def test_a_bad_factor_is_a_400_naming_the_field(api_client, portfolio, market, estimator, field):
    body = _body(None)
    body["estimator"] = {"returns": "factor", **estimator}
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json(), resp.json()
    assert not Optimization.objects.exists()


def test_a_factor_spec_without_the_factor_estimator_is_a_400(api_client, portfolio, market):
    body = _body({"formula": MOMENTUM})
    body["estimator"]["returns"] = "mean"
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 400 and "factor" in resp.json()["estimator"], resp.content
