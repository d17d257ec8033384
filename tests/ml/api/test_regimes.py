"""POST /api/ml/predict/regime and the facade's regime_probabilities: bundles fitted on the S&P 500's
bars but the last ten, whose stored probabilities are filtered over those ten: equal to the filter
over the whole sequence (hmm_filter; hmmlearn's posterior at the last bar; statsmodels' filtered
probabilities for Markov switching), by state name; 400 for a symbol the model was not fitted on."""

from __future__ import annotations

import numpy as np
import pytest
import talib
from statsmodels.tsa.regime_switching.markov_regression import MarkovRegression

from apps.features.services.definitions import definition_save
from apps.ml import facade
from apps.ml.kernels.bundles import RegimeBundle
from apps.ml.kernels.regimes import hmm_filter, hmm_fit, ms_filter, ms_fit
from apps.platform.timestamps import iso_utc
from tests.ml.serving import register, sp500_bars, stored_returns

pytestmark = pytest.mark.django_db
URL = "/api/ml/predict/regime"
NEW = 10
NAMES = ("calm", "turbulent")


def by_variance(variances) -> tuple[str, ...]:
    """The bundle's names for the libraries' states: the calmer one is "calm"."""
    return NAMES if variances[0] <= variances[1] else NAMES[::-1]


def test_markov_switching_filters_the_new_returns(api_client, user):
    sp500_bars("SPX")
    r = stored_returns("SPX")
    y = r.to_numpy()
    res, params = ms_fit(y[:-NEW], 2)
    names = by_variance(params.variances)
    bundle = RegimeBundle(
        method="markov",
        params=params,
        inputs=("return",),
        state_names=names,
        interval="1d",
        last_probabilities={"SPX": ms_filter(params, y[:-NEW])[-1]},
        last_ts={"SPX": iso_utc(r.index[-NEW - 1])},
    )
    register("spx-regime", "regime", "markov", bundle, user=user)
    resp = api_client.post(URL, {"symbol": "SPX"}, format="json")
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    whole = MarkovRegression(y, k_regimes=2, trend="c", switching_variance=True).filter(res.params)
    expected = whole.filtered_marginal_probabilities[-1]
    assert body["probabilities"] == pytest.approx(dict(zip(names, expected, strict=True)), abs=1e-10)
    assert body["state"] == names[int(np.argmax(expected))] and body["states"] == list(names)
    assert (body["new_observations"], body["as_of"]) == (NEW, iso_utc(r.index[-1]))

    got = facade.regime_probabilities("spx")
    assert got.by_name() == pytest.approx(body["probabilities"], abs=1e-15)


def test_a_gaussian_hmm_filters_the_new_feature_rows(api_client, user):
    bars = sp500_bars("SPX")
    definition_save(name="roc_1", function="ROC", params={"timeperiod": 1})
    definition_save(name="roc_5", function="ROC", params={"timeperiod": 5})
    close = bars["close"].to_numpy()
    X = np.column_stack([talib.ROC(close, 1), talib.ROC(close, 5)])[5:]  # the reference, by TA-Lib
    ts = bars.index[5:]
    model, params = hmm_fit(X[:-NEW], 2, seed=0)
    names = by_variance(params.covars[:, 0, 0])
    bundle = RegimeBundle(
        method="hmm",
        params=params,
        inputs=("roc_1@1", "roc_5@1"),
        state_names=names,
        interval="1d",
        last_probabilities={"SPX": hmm_filter(params, X[:-NEW])[-1]},
        last_ts={"SPX": iso_utc(ts[-NEW - 1])},
    )
    register("spx-hmm", "regime", "hmm", bundle, user=user)
    body = api_client.post(URL, {"symbol": "SPX", "model": "spx-hmm"}, format="json").json()
    expected = hmm_filter(params, X)[-1]
    assert body["probabilities"] == pytest.approx(dict(zip(names, expected, strict=True)), abs=1e-10)
    # At the last observation the smoothed posterior is the filtered one: hmmlearn agrees.
    assert body["probabilities"] == pytest.approx(
        dict(zip(names, model.predict_proba(X)[-1], strict=True)), abs=1e-8
    )
    assert (body["new_observations"], body["as_of"]) == (NEW, iso_utc(ts[-1]))


def test_a_symbol_the_model_was_not_fitted_on_is_a_400(api_client, user):
    sp500_bars("SPX")
    y = stored_returns("SPX").to_numpy()
    _, params = ms_fit(y, 2)
    bundle = RegimeBundle("markov", params, ("return",), NAMES, "1d", {"SPX": np.array([0.5, 0.5])}, {})
    register("spx-regime", "regime", "markov", bundle, user=user)
    resp = api_client.post(URL, {"symbol": "QQQ"}, format="json")
    assert resp.status_code == 400 and "not fitted on 'QQQ'" in resp.json()["symbol"][0]
    # No last bar recorded: the stored probabilities are the answer, nothing filtered in.
    body = api_client.post(URL, {"symbol": "SPX"}, format="json").json()
    assert body["probabilities"] == {"calm": 0.5, "turbulent": 0.5} and body["new_observations"] == 0
    assert body["as_of"] is None
