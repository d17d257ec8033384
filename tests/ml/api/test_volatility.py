"""POST /api/ml/predict/volatility and the facade's volatility_forecast: a bundle fitted on the S&P
500's returns but the last five, forecasting after all of them: equal to `arch` called directly with
the same (fixed) parameters on the whole history, analytic for GARCH and GJR, seeded simulation for
EGARCH beyond one bar; the total and annualized figures; 400s for a symbol the model was not fitted on
and a horizon out of range."""

from __future__ import annotations

import numpy as np
import pytest
from arch import arch_model
from arch.univariate import Normal

from apps.ml import facade
from apps.ml.kernels.bundles import VolatilityBundle
from apps.ml.kernels.volatility import vol_fit
from apps.platform.timestamps import iso_utc
from tests.ml.serving import register, sp500_bars, stored_returns

pytestmark = pytest.mark.django_db
URL = "/api/ml/predict/volatility"
SPEC = {
    "garch": {"vol": "GARCH", "p": 1, "q": 1},
    "gjr": {"vol": "GARCH", "p": 1, "o": 1, "q": 1},
    "egarch": {"vol": "EGARCH", "p": 1, "o": 1, "q": 1},
}
NEW = 5  # returns after the fit


def fitted(kind: str, user):
    sp500_bars("SPX")
    returns = stored_returns("SPX")
    fit = vol_fit(returns.iloc[:-NEW], kind)
    bundle = VolatilityBundle(
        kind=kind,
        dist="normal",
        mean="constant",
        interval="1d",
        params={"SPX": fit.params},
        next_variance={"SPX": fit.next_variance},
        last_ts={"SPX": iso_utc(returns.index[-NEW - 1])},
    )
    register("spx-vol", "volatility", kind, bundle, user=user)
    return returns, fit


def arch_fixed(returns, fit, kind):
    return arch_model(100 * returns, mean="Constant", **SPEC[kind]).fix(list(fit.params.values()))


@pytest.mark.parametrize("kind", ["garch", "gjr"])
def test_the_forecast_equals_arch_on_the_whole_history(api_client, user, kind):
    returns, fit = fitted(kind, user)
    resp = api_client.post(URL, {"symbol": "spx", "horizon": 10}, format="json")
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    expected = (
        arch_fixed(returns, fit, kind).forecast(horizon=10, reindex=False).variance.iloc[-1].to_numpy() / 1e4
    )
    np.testing.assert_allclose(body["variance"], expected, rtol=1e-9)
    np.testing.assert_allclose(body["vol"], np.sqrt(expected), rtol=1e-9)
    assert body["total_variance"] == pytest.approx(expected.sum(), rel=1e-9)
    assert body["total_vol"] == pytest.approx(np.sqrt(expected.sum()), rel=1e-9)
    assert body["annualized_vol"] == pytest.approx(np.sqrt(expected.sum() / 10 * 252), rel=1e-9)
    assert (body["method"], body["new_returns"], body["symbol"], body["horizon"]) == (
        "analytic",
        NEW,
        "SPX",
        10,
    )
    assert body["as_of"] == iso_utc(returns.index[-1])
    assert (body["model"], body["version"], body["alias"]) == ("spx-vol", 1, "champion")

    got = facade.volatility_forecast("SPX", 10)
    np.testing.assert_allclose(got.variance, body["variance"], rtol=1e-15)


def test_egarch_one_bar_from_the_state_and_beyond_by_arch_simulation(api_client, user):
    returns, fit = fitted("egarch", user)
    one = api_client.post(URL, {"symbol": "SPX"}, format="json").json()
    expected_one = (
        arch_fixed(returns, fit, "egarch").forecast(horizon=1, reindex=False).variance.iloc[-1, 0] / 1e4
    )
    assert one["variance"] == [pytest.approx(expected_one, rel=1e-9)] and one["method"] == "analytic"

    five = api_client.post(URL, {"symbol": "SPX", "horizon": 5}, format="json").json()
    model = arch_model(100 * returns, mean="Constant", **SPEC["egarch"])
    model.distribution = Normal(seed=0)
    simulated = model.fix(list(fit.params.values())).forecast(
        horizon=5, method="simulation", simulations=1000, reindex=False
    )
    np.testing.assert_allclose(five["variance"], simulated.variance.iloc[-1].to_numpy() / 1e4, rtol=1e-12)
    assert five["method"] == "simulation"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"symbol": "AAPL"}, "symbol"),
        ({"symbol": "SPX", "horizon": 0}, "horizon"),
        ({"symbol": "SPX", "horizon": 253}, "horizon"),
        ({"horizon": 3}, "symbol"),
        ({"symbol": "SPX", "model": "nope"}, "model"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, user, body, field):
    fitted("garch", user)
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 400 and field in resp.json(), resp.json()


def test_the_facade_refuses_a_bad_horizon_and_an_unknown_symbol(user):
    fitted("garch", user)
    with pytest.raises(facade.PredictionInputError) as bad:
        facade.volatility_forecast("SPX", 0)
    assert set(bad.value.errors) == {"horizon"}
    with pytest.raises(facade.PredictionInputError) as unknown:
        facade.volatility_forecast("AAPL", 1)
    assert "not fitted on 'AAPL'" in unknown.value.errors["symbol"]
