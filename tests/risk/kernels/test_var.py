"""VaR/ES kernels against independent references: empyrical and QuantStats on arch's S&P 500
returns, scipy's normal distribution and numerical integration, Monte Carlo against the analytic
normal figure, finite differences for marginal VaR, and hand-worked backtests."""

from __future__ import annotations

import warnings
from math import log

import empyrical
import numpy as np
import pandas as pd
import pytest
import quantstats as qs
from scipy import integrate, stats

from apps.risk.kernels.var import (
    christoffersen,
    component_var,
    covariance,
    historical_component_var_es,
    historical_var_es,
    kupiec_pof,
    monte_carlo_var_es,
    parametric_var_es,
    var_backtest,
)

COV3 = np.array(
    [
        [0.0004, 0.0001, 0.00005],
        [0.0001, 0.0009, 0.0002],
        [0.00005, 0.0002, 0.0016],
    ]
)


@pytest.fixture(scope="module")
def sp500() -> pd.Series:
    from arch.data import sp500 as data

    return data.load()["Adj Close"].pct_change().dropna()


# --- historical -----------------------------------------------------------------------------------


@pytest.mark.parametrize("confidence", [0.95, 0.99, 0.975])
def test_historical_matches_empyrical_on_sp500(sp500, confidence):
    r = sp500.to_numpy()
    var, es = historical_var_es(r, confidence)
    assert var[0] == pytest.approx(-empyrical.value_at_risk(r, 1 - confidence), rel=1e-12)
    assert es[0] == pytest.approx(-empyrical.conditional_value_at_risk(r, 1 - confidence), rel=1e-12)


def test_historical_matrix_rows_each_match_empyrical(sp500):
    r = sp500.to_numpy()
    rows = np.vstack([r[:2500], r[2500:5000], 3.0 * r[:2500], -r[1000:3500]])
    rows[1, ::7] = np.nan  # a row with gaps: NaN days are ignored, as empyrical's CVaR does
    conf = np.array([0.99, 0.95, 0.99, 0.9])
    var, es = historical_var_es(rows, conf, horizon_days=10)
    for i, row in enumerate(rows):
        clean = row[np.isfinite(row)]
        assert var[i] == pytest.approx(-empyrical.value_at_risk(clean, 1 - conf[i]) * np.sqrt(10), rel=1e-12)
        assert es[i] == pytest.approx(
            -empyrical.conditional_value_at_risk(clean, 1 - conf[i]) * np.sqrt(10), rel=1e-12
        )
    assert np.all(es >= var)


def test_historical_all_nan_row_is_nan():
    var, es = historical_var_es(np.array([[np.nan, np.nan], [1.0, -1.0]]), 0.5)
    assert np.isnan(var[0]) and np.isnan(es[0]) and var[1] == pytest.approx(0.0)


# --- parametric -----------------------------------------------------------------------------------


def test_parametric_normal_matches_scipy_rows():
    mean = np.array([0.0005, -0.001, 0.0, 200.0])
    std = np.array([0.012, 0.02, 0.01, 15_000.0])
    conf = np.array([0.99, 0.95, 0.975, 0.99])
    h = np.array([1.0, 10.0, 5.0, 1.0])
    var, es = parametric_var_es(mean, std, conf, h)
    for i in range(4):
        dist = stats.norm(loc=mean[i] * h[i], scale=std[i] * np.sqrt(h[i]))
        q = dist.ppf(1 - conf[i])
        assert var[i] == pytest.approx(-q, rel=1e-12)
        tail_mean = dist.expect(lambda x: x, ub=q, conditional=True)  # numerical E[X | X <= q]
        assert es[i] == pytest.approx(-tail_mean, rel=1e-7)


@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_parametric_normal_matches_quantstats(sp500, confidence):
    # qs.stats.value_at_risk is norm.ppf(1 - c, mean, sample std): a (negative) return quantile
    # with the mean kept, i.e. minus our VaR; its parametric CVaR is the normal tail mean.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        qs_var = qs.stats.value_at_risk(sp500, confidence=confidence)
        qs_es = qs.stats.conditional_value_at_risk(sp500, confidence=confidence)
    var, es = parametric_var_es(sp500.mean(), sp500.std(ddof=1), confidence)
    assert var[0] == pytest.approx(-qs_var, rel=1e-12)
    assert es[0] == pytest.approx(-qs_es, rel=1e-12)


def test_cornish_fisher_hand_example():
    # c = 99 %, μ = 0.0005, σ = 0.012, S = -0.5, K = 3 (one day):
    # z = Φ⁻¹(0.01) = -2.326348, z² = 5.411894, z³ = -12.589949
    # (z²-1)S/6     = 4.411894 × -0.5 / 6                  = -0.367658
    # (z³-3z)K/24   = (-12.589949 + 6.979044) × 3 / 24      = -0.701363
    # (2z³-5z)S²/36 = (-25.179898 + 11.631739) × 0.25 / 36  = -0.094084
    # z_cf = -2.326348 - 0.367658 - 0.701363 + 0.094084     = -3.301285
    # VaR = -(0.0005 + -3.301285 × 0.012) = 0.039615 - 0.0005 = 0.039115
    var, es = parametric_var_es(0.0005, 0.012, 0.99, method="cornish_fisher", skew=-0.5, excess_kurtosis=3)
    assert var[0] == pytest.approx(0.039115, abs=2e-6)
    # A negative skew and fat tails make the CF VaR worse than the normal one.
    assert var[0] > parametric_var_es(0.0005, 0.012, 0.99)[0][0]
    assert es[0] > var[0]


def _cf_quantile(u, mu, sd, s, k):
    z = stats.norm.ppf(u)
    return mu + sd * (z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36)


@pytest.mark.parametrize(
    ("skew", "kurt", "conf", "h"), [(-0.5, 3.0, 0.99, 1), (0.3, 1.5, 0.95, 1), (-0.8, 4, 0.99, 4)]
)
def test_cornish_fisher_es_is_the_tail_integral_of_the_cf_quantile(skew, kurt, conf, h):
    mu, sd = 0.0004, 0.011
    var, es = parametric_var_es(mu, sd, conf, h, method="cornish_fisher", skew=skew, excess_kurtosis=kurt)
    # The h-day distribution of i.i.d. days: mean μh, std σ√h, skew S/√h, excess kurtosis K/h.
    args = (mu * h, sd * np.sqrt(h), skew / np.sqrt(h), kurt / h)
    alpha = 1 - conf
    integral, _ = integrate.quad(_cf_quantile, 0, alpha, args=args, limit=200)
    assert es[0] == pytest.approx(-integral / alpha, rel=1e-6)
    assert var[0] == pytest.approx(-_cf_quantile(alpha, *args), rel=1e-12)


def test_cornish_fisher_with_zero_moments_equals_normal():
    mean, std = np.array([0.001, -0.0002]), np.array([0.015, 0.03])
    normal = parametric_var_es(mean, std, [0.99, 0.95], [1, 10])
    cf = parametric_var_es(
        mean, std, [0.99, 0.95], [1, 10], method="cornish_fisher", skew=0, excess_kurtosis=0
    )
    np.testing.assert_allclose(cf, normal, rtol=1e-14)


def test_parametric_rejects_unknown_method_and_missing_moments():
    with pytest.raises(ValueError, match="method"):
        parametric_var_es(0, 1, method="garch")
    with pytest.raises(ValueError, match="skew"):
        parametric_var_es(0, 1, method="cornish_fisher")


# --- covariance and Monte Carlo -------------------------------------------------------------------


def _ledoit_wolf_by_loops(x: np.ndarray) -> np.ndarray:
    """Ledoit & Wolf (2004), section 3.2, one observation at a time: m = ⟨S, I⟩, d² = ‖S - mI‖²,
    b̄² = (1/T²) Σ_t ‖x_t x_tᵀ - S‖², b² = min(b̄², d²), Σ = (b²/d²) mI + (1 - b²/d²) S, with the
    paper's normalized norm ‖A‖² = tr(AAᵀ)/N."""
    t, n = x.shape
    xc = x - x.mean(axis=0)
    s = np.zeros((n, n))
    for row in xc:
        s += np.outer(row, row)
    s /= t
    m = np.trace(s) / n
    d2 = np.trace((s - m * np.eye(n)) @ (s - m * np.eye(n)).T) / n
    b2_bar = 0.0
    for row in xc:
        diff = np.outer(row, row) - s
        b2_bar += np.trace(diff @ diff.T) / n
    b2 = min(b2_bar / t**2, d2)
    return b2 / d2 * m * np.eye(n) + (1 - b2 / d2) * s


def test_covariance_sample_and_ledoit_wolf_against_the_paper_by_loops():
    rng = np.random.default_rng(7)
    x = rng.multivariate_normal(np.zeros(3), COV3, size=60)
    x[5, 1] = np.nan  # an incomplete day is dropped for every instrument
    clean = np.delete(x, 5, axis=0)
    dev = clean - clean.mean(axis=0)
    sample = sum(np.outer(row, row) for row in dev) / (len(clean) - 1)  # unbiased, one day at a time
    np.testing.assert_allclose(covariance(x), sample, rtol=1e-12)
    np.testing.assert_allclose(covariance(x, "ledoit_wolf"), _ledoit_wolf_by_loops(clean), rtol=1e-10)


def test_monte_carlo_is_reproducible_with_a_seed():
    values = np.array([[1e6, -5e5, 2e5], [3e5, 3e5, 3e5]])
    a = monte_carlo_var_es(values, COV3, 0.99, 1, simulations=5_000, seed=11)
    b = monte_carlo_var_es(values, COV3, 0.99, 1, simulations=5_000, seed=11)
    c = monte_carlo_var_es(values, COV3, 0.99, 1, simulations=5_000, seed=12)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[0], c[0])


def test_monte_carlo_converges_to_the_normal_analytic_var():
    values = np.array([[1e6, -5e5, 2e5], [3e5, 3e5, 3e5], [0.0, 2e5, -4e5]])
    mean = np.array([0.0004, 0.0002, -0.0001])
    conf, h, n_sims = np.array([0.99, 0.95, 0.975]), np.array([1.0, 10.0, 5.0]), 200_000
    var, es = monte_carlo_var_es(values, COV3, conf, h, simulations=n_sims, seed=2024, mean=mean)
    mu_p = values @ mean
    sd_p = np.sqrt(np.einsum("pi,ij,pj->p", values, COV3, values))
    exact_var, exact_es = parametric_var_es(mu_p, sd_p, conf, h)
    # Standard error of a sample quantile: √(α(1-α)/n) / f(q), f the normal density at q.
    alpha = 1 - conf
    se = np.sqrt(alpha * (1 - alpha) / n_sims) / (stats.norm.pdf(stats.norm.ppf(alpha)) / (sd_p * np.sqrt(h)))
    assert np.all(np.abs(var - exact_var) < 4 * se)
    np.testing.assert_allclose(es, exact_es, rtol=0.02)


def test_monte_carlo_singular_and_indefinite_covariance():
    # Instruments 0 and 1 perfectly correlated: Cholesky fails, the eigen factor still works.
    vol = np.array([0.01, 0.02, 0.015])
    corr = np.array([[1.0, 1.0, 0.3], [1.0, 1.0, 0.3], [0.3, 0.3, 1.0]])
    singular = corr * np.outer(vol, vol)
    values = np.array([[1e5, 1e5, -5e4]])
    var, _ = monte_carlo_var_es(values, singular, 0.99, 1, simulations=200_000, seed=5)
    sd = np.sqrt(values[0] @ singular @ values[0])
    assert var[0] == pytest.approx(stats.norm.ppf(0.99) * sd, rel=0.02)
    with pytest.raises(ValueError, match="positive semi-definite"):
        monte_carlo_var_es(values, np.diag([1e-4, -1e-4, 1e-4]), 0.99, 1)


# --- component / marginal VaR ---------------------------------------------------------------------


def test_component_var_sums_to_portfolio_var_and_marginal_is_the_derivative():
    values = np.array([[1e6, -5e5, 2e5], [3e5, 3e5, 3e5]])  # includes a short
    var, marginal, component = component_var(values, COV3, [0.99, 0.95], [10, 1])
    sd = np.sqrt(np.einsum("pi,ij,pj->p", values, COV3, values))
    np.testing.assert_allclose(var, parametric_var_es(0.0, sd, [0.99, 0.95], [10, 1])[0], rtol=1e-12)
    np.testing.assert_allclose(component.sum(axis=1), var, rtol=1e-12)
    for p, (conf, h) in enumerate([(0.99, 10), (0.95, 1)]):
        for i in range(3):
            step = np.zeros(3)
            step[i] = 1.0  # one unit of money; VaR is smooth, so central differences are exact to O(step²)
            up = component_var(values[p] + step, COV3, conf, h)[0][0]
            down = component_var(values[p] - step, COV3, conf, h)[0][0]
            assert marginal[p, i] == pytest.approx((up - down) / 2, rel=1e-6)
    # A small short against a correlated long is a hedge: (Σv)_1 = 0.0001 × 1e6 - 0.0009 × 1e5 = 10 > 0,
    # so its component -1e5 × z × 10 / σ_p is negative (the 5e5 short above is not: (Σv)_1 = -310).
    hedged = component_var(np.array([1e6, -1e5, 0.0]), COV3)[2][0]
    assert hedged[1] < 0 < hedged[0] and component[0, 1] > 0


def test_component_var_of_an_empty_book_is_zero():
    var, marginal, component = component_var(np.zeros(3), COV3)
    assert var[0] == 0 and not marginal.any() and not component.any()


def test_historical_components_add_up_and_match_finite_differences(sp500):
    r = sp500.to_numpy()
    returns = np.column_stack([r[:1500], r[1500:3000], r[3000:4500]])
    values = np.array([[1e6, -4e5, 3e5], [2e5, 2e5, 2e5]])
    var, es, var_c, es_c = historical_component_var_es(values, returns, [0.99, 0.95], [1, 4])
    ref_var, ref_es = historical_var_es(values @ returns.T, [0.99, 0.95], [1, 4])
    np.testing.assert_allclose(var, ref_var, rtol=1e-12)
    np.testing.assert_allclose(es, ref_es, rtol=1e-12)
    np.testing.assert_allclose(var_c.sum(axis=1), var, rtol=1e-12)
    # Historical VaR is piecewise linear in the positions: a small move keeps the scenario order,
    # so the contribution / value is the slope.
    for p, (conf, h) in enumerate([(0.99, 1), (0.95, 4)]):
        for i in range(3):
            step = np.zeros(3)
            step[i] = 1e-3
            up = historical_var_es((values[p] + step) @ returns.T, conf, h)[0][0]
            down = historical_var_es((values[p] - step) @ returns.T, conf, h)[0][0]
            assert var_c[p, i] / values[p, i] == pytest.approx((up - down) / 2e-3, rel=1e-5)


# --- backtests ------------------------------------------------------------------------------------


def test_kupiec_hand_example():
    # 250 days at 99 %: 2.5 exceptions expected, 8 observed.
    # ln L0 = 242 ln 0.99 + 8 ln 0.01 = 242(-0.0100503) + 8(-4.6051702) = -2.4321813 - 36.8413615 = -39.2735428
    # ln L1 = 242 ln 0.968 + 8 ln 0.032 = 242(-0.0325232) + 8(-3.4420194) = -7.8706124 - 27.5361550 = -35.4067674
    # LR = -2(-39.2735428 + 35.4067674) = 7.7335508
    lr, p = kupiec_pof(8, 250, 0.99)
    assert lr == pytest.approx(7.7335507, abs=1e-5)
    assert p == pytest.approx(stats.chi2.sf(7.7335507, 1), rel=1e-5)
    assert p < 0.01  # the VaR model is rejected at 1 %


def test_kupiec_zero_exceptions_and_vectorized():
    # x = 0: ln L1 = 0 (0·log 0 = 0), LR = -2 · 250 ln 0.99 = -500 × (-0.0100503) = 5.0251679
    lr, p = kupiec_pof(0, 250, 0.99)
    assert lr == pytest.approx(5.0251679, abs=1e-6)
    assert p == pytest.approx(stats.chi2.sf(5.0251679, 1), rel=1e-6)
    lrs, ps = kupiec_pof(np.array([0, 8, 3, 0]), np.array([250, 250, 300, 0]), 0.99)
    assert lrs[:2] == pytest.approx([5.0251679, 7.7335507], abs=1e-5)
    assert lrs[2] == pytest.approx(0.0, abs=1e-12)  # exactly the expected rate: 3/300 = 1 %
    assert np.isnan(lrs[3]) and np.isnan(ps[3])  # no observation, no test
    with pytest.raises(ValueError):
        kupiec_pof(5, 4, 0.99)


def test_christoffersen_hand_example():
    # Days:        0 0 1 1 0 0 0 1 1 1 0 0 (12 days, 5 exceptions, confidence 90 %)
    # Transitions: 00 01 11 10 00 00 01 11 11 10 00 → n00 = 4, n01 = 2, n10 = 2, n11 = 3
    # π01 = 2/6, π11 = 3/5, π = 5/11
    # ln L(π01, π11) = 4 ln(2/3) + 2 ln(1/3) + 2 ln 0.4 + 3 ln 0.6 = -7.1841433
    # ln L(π) = 6 ln(6/11) + 5 ln(5/11) = -7.5791016 → LR_ind = 2(7.5791016 - 7.1841433) = 0.7899166
    # Kupiec: -2[7 ln 0.9 + 5 ln 0.1 - 7 ln(7/12) - 5 ln(5/12)] = -2(-12.2504491 + 8.1503192) = 8.2002598
    seq = np.array([0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0], dtype=bool)
    lr_ind, p_ind, lr_cc, p_cc = christoffersen(seq, 0.9)
    assert lr_ind == pytest.approx(0.7899166, abs=1e-6)
    assert lr_ind == pytest.approx(
        -2
        * (6 * log(6 / 11) + 5 * log(5 / 11) - 4 * log(2 / 3) - 2 * log(1 / 3) - 2 * log(0.4) - 3 * log(0.6))
    )
    assert p_ind == pytest.approx(stats.chi2.sf(0.7899166, 1), rel=1e-5)
    assert lr_cc == pytest.approx(0.7899166 + 8.2002598, abs=1e-6)
    assert p_cc == pytest.approx(stats.chi2.sf(8.9901764, 2), rel=1e-5)


def test_christoffersen_zero_counts():
    # 0 1 0 0 1 0 0 0 1 0: an exception is never followed by one, n11 = 0 (0·log 0 = 0).
    # n00 = 3, n01 = 3, n10 = 3: ln L(π01=1/2, π11=0) = 6 ln 0.5 = -4.1588831;
    # ln L(π=1/3) = 6 ln(2/3) + 3 ln(1/3) = -5.7286275 → LR_ind = 2(5.7286275 - 4.1588831) = 3.1394888
    seq = np.array([0, 1, 0, 0, 1, 0, 0, 0, 1, 0], dtype=bool)
    lr_ind, _, _, _ = christoffersen(seq, 0.9)
    assert lr_ind == pytest.approx(3.1394888, abs=1e-6)
    # No exception at all: every transition is 0→0 and the statistic is 0, not NaN.
    lr_ind, p_ind, lr_cc, _ = christoffersen(np.zeros((2, 30), dtype=bool), 0.99)
    np.testing.assert_allclose(lr_ind, 0.0, atol=1e-12)
    np.testing.assert_allclose(p_ind, 1.0)
    np.testing.assert_allclose(lr_cc, kupiec_pof(0, 30, 0.99)[0], rtol=1e-12)


def test_var_backtest_counts_exceptions_and_runs_both_tests():
    pnl = np.array([-1.0, -3.0, 0.5, -2.5, np.nan, 1.0, -0.4, -2.1, 0.2, 0.3, 0.0, -5.0])
    var = np.full(12, 2.0)
    var[0] = np.nan  # no forecast yet on the first day
    # Observed days 1..11 except day 4; exceptions where pnl < -2: days 1, 3, 7, 11 → 4 of 10.
    out = var_backtest(pnl, var, 0.95)
    assert out["exceptions"] == 4 and out["observations"] == 10
    assert out["rate"] == pytest.approx(0.4) and out["expected_rate"] == pytest.approx(0.05)
    lr, p = kupiec_pof(4, 10, 0.95)
    assert out["pof_lr"] == pytest.approx(lr) and out["pof_p"] == pytest.approx(p)
    # Transitions between observed consecutive days (day 4 breaks 3→4 and 4→5):
    # 1→2: 10, 2→3: 01, 5→6: 00, 6→7: 01, 7→8: 10, 8→9: 00, 9→10: 00, 10→11: 01
    # n00 = 3, n01 = 3, n10 = 2, n11 = 0: ln L(1/2, 0) = 6 ln 0.5; ln L(3/8) = 5 ln(5/8) + 3 ln(3/8)
    lr_ind = -2 * (5 * log(5 / 8) + 3 * log(3 / 8) - 6 * log(0.5))
    assert out["ind_lr"] == pytest.approx(lr_ind)
    assert out["cc_lr"] == pytest.approx(lr + lr_ind)
    # Rows are portfolios: the second one never breaches.
    both = var_backtest(np.vstack([pnl, np.abs(pnl)]), np.vstack([var, var]), 0.95)
    assert list(both["exceptions"]) == [4, 0]
    assert both["pof_lr"][1] == pytest.approx(kupiec_pof(0, 10, 0.95)[0])
    with pytest.raises(ValueError, match="shape"):
        var_backtest(pnl, var[:5], 0.95)
