"""Volatility kernels against `arch` called directly on its bundled S&P 500 series (returns in percent,
as arch's own examples): fitted parameters, h-step forecasts, and the per-bar variance update."""

from __future__ import annotations

import numpy as np
import pytest
from arch import arch_model
from arch.data import sp500
from arch.univariate import Normal

from apps.ml.kernels.volatility import KINDS, vol_fit, vol_forecast, vol_forecast_from_state, vol_update

SPEC = {
    "garch": {"vol": "GARCH", "p": 1, "q": 1},
    "gjr": {"vol": "GARCH", "p": 1, "o": 1, "q": 1},
    "egarch": {"vol": "EGARCH", "p": 1, "o": 1, "q": 1},
}


@pytest.fixture(scope="module")
def returns():
    """Daily decimal returns of the S&P 500, 1999-2018 (5,030 bars)."""
    return sp500.load()["Adj Close"].pct_change().dropna()


def arch_fit(r, kind, dist="normal"):
    return arch_model(100 * r, mean="Constant", dist=dist, **SPEC[kind]).fit(disp="off")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fit_and_forecasts_equal_arch(returns, kind):
    ours = vol_fit(returns, kind)
    ref = arch_fit(returns, kind)
    assert ours.params == ref.params.to_dict()
    assert ours.n_obs == 5030 and ours.converged and ours.loglikelihood == ref.loglikelihood
    one = ref.forecast(horizon=1, reindex=False).variance.iloc[-1, 0]
    assert ours.next_variance == pytest.approx(one / 1e4, rel=1e-12)
    if (
        kind == "egarch"
    ):  # no analytic multi-step forecast: arch simulates, its shocks seeded as arch documents
        model = arch_model(100 * returns, mean="Constant", **SPEC[kind])
        model.distribution = Normal(seed=9)
        seeded = model.fit(disp="off")
        ref_var = seeded.forecast(
            horizon=10, method="simulation", simulations=500, reindex=False
        ).variance.iloc[-1]
    else:
        ref_var = ref.forecast(horizon=10, reindex=False).variance.iloc[-1]
    fc = vol_forecast(returns, ours, 10, simulations=500, seed=9)
    np.testing.assert_allclose(fc.variance, ref_var.to_numpy() / 1e4, rtol=1e-12)
    np.testing.assert_allclose(fc.vol, np.sqrt(ref_var.to_numpy()) / 100, rtol=1e-12)
    assert fc.total_variance == pytest.approx(ref_var.sum() / 1e4, rel=1e-12)
    assert fc.variance[0] == pytest.approx(ours.next_variance, rel=1e-12)
    if kind == "egarch":  # the seed is what makes the simulated steps repeatable
        assert not np.allclose(
            vol_forecast(returns, ours, 10, simulations=500, seed=10).variance[1:], fc.variance[1:]
        )


def test_student_t_fit_equals_arch(returns):
    ours = vol_fit(returns, "gjr", dist="t")
    assert ours.params == arch_fit(returns, "gjr", dist="t").params.to_dict()
    assert set(ours.params) == {"mu", "omega", "alpha[1]", "gamma[1]", "beta[1]", "nu"}


@pytest.mark.parametrize(
    "kind, dist", [("garch", "normal"), ("gjr", "normal"), ("egarch", "normal"), ("egarch", "t")]
)
def test_update_reproduces_arch_conditional_variance_at_every_bar(returns, kind, dist):
    """Each bar t taken as one instrument: sigma²_t and r_t give sigma²_{t+1}, as arch filtered it."""
    res = arch_fit(returns, kind, dist)
    var = (res.conditional_volatility.to_numpy() / 100) ** 2
    nxt = vol_update(kind, res.params.to_dict(), var[:-1], returns.to_numpy()[:-1])
    np.testing.assert_allclose(nxt, var[1:], rtol=1e-10)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_update_after_new_bars_equals_arch_with_fixed_params(returns, kind):
    """Fit on all but the last 3 bars, then update bar by bar: each variance equals arch's one-step
    forecast on the longer history with the same (fixed, not refitted) parameters."""
    fit = vol_fit(returns.iloc[:-3], kind)
    variance = fit.next_variance
    for k in (3, 2, 1):
        variance = vol_update(kind, fit.params, variance, returns.iloc[-k])
        history = returns.iloc[: len(returns) - k + 1]
        fixed = arch_model(100 * history, mean="Constant", **SPEC[kind]).fix(list(fit.params.values()))
        expected = fixed.forecast(horizon=1, reindex=False).variance.iloc[-1, 0] / 1e4
        assert variance == pytest.approx(expected, rel=1e-10)
        assert vol_forecast(history, fit, 1).variance[0] == pytest.approx(expected, rel=1e-12)


def test_update_is_vectorised_over_instruments():
    # garch by hand: omega 0.02 + alpha 0.1 * eps² + beta 0.85 * sigma², in percent units.
    params = {"mu": [0.0, 0.05], "omega": [0.02, 0.02], "alpha[1]": [0.1, 0.1], "beta[1]": [0.85, 0.85]}
    got = vol_update("garch", params, [1e-4, 4e-4], [-0.02, 0.01])
    # instrument 0: eps = -2 %, sigma² = 1 %² -> 0.02 + 0.1 * 4 + 0.85 * 1 = 1.27 %² = 1.27e-4
    # instrument 1: eps = 1 - 0.05 = 0.95 %, sigma² = 4 %² -> 0.02 + 0.1 * 0.9025 + 3.4 = 3.51025 %²
    np.testing.assert_allclose(got, [1.27e-4, 3.51025e-4], rtol=1e-12)
    gjr = vol_update("gjr", {**params, "gamma[1]": [0.2, 0.2]}, [1e-4, 4e-4], [-0.02, 0.01])
    np.testing.assert_allclose(gjr, [1.27e-4 + 0.2 * 4e-4, 3.51025e-4], rtol=1e-12)  # only a loss adds gamma


def test_bad_input_is_refused(returns):
    with pytest.raises(ValueError, match="unknown volatility model"):
        vol_fit(returns, "figarch")
    with pytest.raises(ValueError, match="unknown distribution"):
        vol_fit(returns, "garch", dist="cauchy")
    with pytest.raises(ValueError, match="finite"):
        vol_fit(returns.pct_change(), "garch")
    with pytest.raises(ValueError, match="at least 100"):
        vol_fit(returns.iloc[:50], "garch")


@pytest.mark.parametrize("kind", ["garch", "gjr"])
@pytest.mark.parametrize("dist", ["normal", "skewt"])
def test_forecast_from_the_moved_state_equals_arch_on_the_whole_history(returns, kind, dist):
    """Fit on all but the last 5 bars, move the state over them (vol_update), then forecast 20 steps
    in closed form: arch's analytic forecast on the whole history with the same fixed parameters."""
    fit = vol_fit(returns.iloc[:-5], kind, dist=dist)
    variance = fit.next_variance
    for r in returns.iloc[-5:]:
        variance = vol_update(kind, fit.params, variance, r)
    got = vol_forecast_from_state(kind, fit.params, variance, 20)
    fixed = arch_model(100 * returns, mean="Constant", dist=dist, **SPEC[kind]).fix(list(fit.params.values()))
    expected = fixed.forecast(horizon=20, reindex=False).variance.iloc[-1].to_numpy() / 1e4
    np.testing.assert_allclose(got.variance, expected, rtol=1e-10)
    np.testing.assert_allclose(got.vol, np.sqrt(expected), rtol=1e-10)
    assert got.total_variance == pytest.approx(expected.sum(), rel=1e-10)


def test_forecast_from_state_by_hand_and_refusals():
    # omega 0.02, alpha 0.1, gamma 0.1, beta 0.8 (percent units): phi = 0.1 + 0.05 + 0.8 = 0.95;
    # from 1 %²: 1, 0.02 + 0.95 = 0.97, 0.02 + 0.95 * 0.97 = 0.9415 (%²).
    params = {"omega": 0.02, "alpha[1]": 0.1, "gamma[1]": 0.1, "beta[1]": 0.8}
    got = vol_forecast_from_state("gjr", params, 1e-4, 3)
    np.testing.assert_allclose(got.variance, [1e-4, 0.97e-4, 0.9415e-4], rtol=1e-12)
    with pytest.raises(ValueError, match="closed-form"):
        vol_forecast_from_state("egarch", params, 1e-4, 3)
    with pytest.raises(ValueError, match="at least 1"):
        vol_forecast_from_state("garch", params, 1e-4, 0)
