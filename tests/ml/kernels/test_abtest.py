"""A/B kernels: deterministic assignment whose shares follow the weights, per-arm metrics against
scikit-learn / scipy, the Diebold-Mariano statistic by hand and against statsmodels' HAC standard
error, and a seeded paired bootstrap."""

from __future__ import annotations

import hashlib
import math
import subprocess
import sys

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from sklearn.metrics import mean_absolute_error, mean_squared_error

from apps.ml.kernels.abtest import (
    arm_metrics,
    assign_arms,
    assignment_uniform,
    bootstrap_means,
    diebold_mariano,
    loss_differential,
    paired_bootstrap,
)

KEYS = [f"client-{i}" for i in range(100_000)]


def test_assignment_is_deterministic_across_processes_and_follows_the_weights():
    weights = [0.5, 0.3, 0.2]
    arms = assign_arms(KEYS, "test-42", weights)
    np.testing.assert_array_equal(arms, assign_arms(KEYS, "test-42", weights))
    # A fresh interpreter (another hash seed for Python's hash()) assigns the same arms.
    code = (
        "from apps.ml.kernels.abtest import assign_arms;"
        "print(''.join(map(str, assign_arms([f'client-{i}' for i in range(2000)], 'test-42', [0.5, 0.3, 0.2]))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
        cwd=".",
    )
    assert out.stdout.strip() == "".join(map(str, arms[:2000]))
    # shares within 4 binomial standard errors of the weights over 100k keys
    shares = np.bincount(arms, minlength=3) / len(KEYS)
    tol = 4 * np.sqrt(np.array(weights) * (1 - np.array(weights)) / len(KEYS))
    assert (np.abs(shares - weights) <= tol).all()


def test_assignment_uniform_by_hand_and_tests_split_independently():
    digest = hashlib.blake2b(b"7:test-42:AAPL", digest_size=8).digest()
    u = (int.from_bytes(digest, "big") >> 11) / 2**53
    assert assignment_uniform(["AAPL"], "test-42")[0] == u
    arms = assign_arms(["AAPL"], "test-42", [1, 1])[0]
    assert arms == (0 if u < 0.5 else 1)
    # another test id reshuffles keys: the two assignments are (nearly) independent
    a = assign_arms(KEYS[:20_000], "test-42", [1, 1])
    b = assign_arms(KEYS[:20_000], "test-43", [1, 1])
    assert abs(np.mean(a == b) - 0.5) < 4 * 0.5 / math.sqrt(20_000)


def test_weights_zero_and_bad():
    arms = assign_arms(KEYS[:5000], "t", [0, 2, 0, 1])
    assert set(np.unique(arms)) == {1, 3}
    for bad in ([], [0, 0], [1, -1], [1, np.nan]):
        with pytest.raises(ValueError, match="weights"):
            assign_arms(["k"], "t", bad)


def test_arm_metrics_equal_scikit_learn_and_scipy():
    rng = np.random.default_rng(0)
    n = 3000
    arm = rng.integers(0, 3, n)
    realized = rng.standard_normal(n)
    pred = 0.3 * realized + rng.standard_normal(n) * (1 + arm)
    realized[::50] = np.nan  # outcomes not yet realized
    pred[7] = 0.0
    got = arm_metrics(arm, pred, realized)
    assert list(got.index) == [0, 1, 2]
    for k in range(3):
        sel = (arm == k) & np.isfinite(realized)
        p, r = pred[sel], realized[sel]
        row = got.loc[k]
        assert row["n"] == sel.sum()
        assert row["mae"] == pytest.approx(mean_absolute_error(r, p), rel=1e-12)
        assert row["rmse"] == pytest.approx(math.sqrt(mean_squared_error(r, p)), rel=1e-12)
        assert row["ic"] == pytest.approx(stats.pearsonr(p, r).statistic, rel=1e-10)
        assert row["rank_ic"] == pytest.approx(stats.spearmanr(p, r).statistic, rel=1e-10)
        assert row["hit_rate"] == pytest.approx(np.mean(np.sign(p) == np.sign(r)), rel=1e-12)


def test_diebold_mariano_by_hand():
    realized = [0.5, -0.2, 0.3, 0.1, -0.4, 0.6]
    pred_a = [0.3, 0.1, 0.2, -0.1, -0.1, 0.2]
    pred_b = [0.1, -0.3, 0.5, 0.3, 0.0, 0.1]
    T, h = 6, 2
    # 1. errors: e_a = [0.2, -0.3, 0.1, 0.2, -0.3, 0.4], e_b = [0.4, 0.1, -0.2, -0.2, -0.4, 0.5]
    e_a = [y - p for y, p in zip(realized, pred_a, strict=True)]
    e_b = [y - p for y, p in zip(realized, pred_b, strict=True)]
    # 2. squared-loss differential: d = [0.04-0.16, 0.09-0.01, 0.01-0.04, 0.04-0.04, 0.09-0.16, 0.16-0.25]
    #                                 = [-0.12, 0.08, -0.03, 0.00, -0.07, -0.09]
    d = [a * a - b * b for a, b in zip(e_a, e_b, strict=True)]
    # 3. mean: dbar = -0.23 / 6 = -0.0383333
    dbar = sum(d) / T
    # 4. autocovariances: gamma_0 = sum (d_t - dbar)^2 / T ~ 0.0258833 / 6 ~ 0.00431389
    #    gamma_1 = sum_{t>=1} (d_t - dbar)(d_{t-1} - dbar) / T ~ -0.0079361 / 6 ~ -0.00132269
    gamma0 = sum((x - dbar) ** 2 for x in d) / T
    gamma1 = sum((d[t] - dbar) * (d[t - 1] - dbar) for t in range(1, T)) / T
    # 5. Newey-West long-run variance, h - 1 = 1 lag with Bartlett weight 1 - 1/2:
    #    LRV = gamma_0 + 2 * 0.5 * gamma_1 ~ 0.0029912
    lrv = gamma0 + 2 * (1 - 1 / h) * gamma1
    # 6. DM = dbar / sqrt(LRV / T) ~ -0.0383333 / 0.0223280 ~ -1.71682
    dm = dbar / math.sqrt(lrv / T)
    # 7. HLN: times sqrt((T + 1 - 2h + h(h-1)/T) / T) = sqrt((6 + 1 - 4 + 1/3) / 6) = sqrt(5/9) ~ 0.745356
    hln = dm * math.sqrt((T + 1 - 2 * h + h * (h - 1) / T) / T)
    # 8. two-sided p from Student's t with T - 1 = 5 degrees of freedom
    p = 2 * stats.t.sf(abs(hln), df=T - 1)
    assert hln == pytest.approx(-1.27965, abs=1e-4)

    got = diebold_mariano(realized, pred_a, pred_b, h=h)
    assert got.statistic == pytest.approx(hln, rel=1e-12)
    assert got.p_value == pytest.approx(p, rel=1e-12)
    assert got.mean_diff == pytest.approx(dbar, rel=1e-12)
    assert got.long_run_variance == pytest.approx(lrv, rel=1e-12)
    assert (got.n, got.h, got.loss) == (6, 2, "squared")

    # absolute loss, h = 1: d = |e_a| - |e_b| = [-0.2, 0.2, -0.1, 0.0, -0.1, -0.1], dbar = -0.05,
    # LRV = gamma_0 = sum (d - dbar)^2 / 6 = (0.0225 + 0.0625 + 0.0025 + 0.0025 + 0.0025 + 0.0025) / 6 = 0.095 / 6
    # DM = -0.05 / sqrt(0.095 / 36); HLN factor sqrt((6 + 1 - 2) / 6) = sqrt(5/6).
    hln1 = -0.05 / math.sqrt(0.095 / 36) * math.sqrt(5 / 6)
    got1 = diebold_mariano(realized, pred_a, pred_b, h=1, loss="absolute")
    assert got1.statistic == pytest.approx(hln1, rel=1e-9)


@pytest.mark.parametrize("h", [1, 3, 5])
def test_diebold_mariano_variance_equals_statsmodels_hac(h):
    """statsmodels: regress d on a constant, Newey-West HAC with h - 1 lags and no small-sample
    factor; its t statistic is the uncorrected DM."""
    rng = np.random.default_rng(h)
    n = 400
    realized = rng.standard_normal(n)
    pred_a = realized + rng.standard_normal(n)
    pred_b = (
        realized
        + 1.1 * rng.standard_normal(n)
        + 0.5 * np.convolve(rng.standard_normal(n + 4), np.ones(5), "valid")
    )
    got = diebold_mariano(realized, pred_a, pred_b, h=h)
    d = loss_differential(realized, pred_a, pred_b)
    ols = sm.OLS(d, np.ones(n)).fit(cov_type="HAC", cov_kwds={"maxlags": h - 1, "use_correction": False})
    hln = math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    assert got.statistic == pytest.approx(ols.tvalues[0] * hln, rel=1e-10)
    assert got.long_run_variance == pytest.approx(ols.bse[0] ** 2 * n, rel=1e-10)


def test_diebold_mariano_degenerate_and_bad_input():
    same = diebold_mariano([1.0, 2.0, 3.0, 4.0], [0.0] * 4, [0.0] * 4)
    assert math.isnan(same.statistic) and math.isnan(same.p_value) and same.mean_diff == 0
    with pytest.raises(ValueError, match="loss"):
        diebold_mariano([1.0] * 5, [0.0] * 5, [1.0] * 5, loss="huber")
    with pytest.raises(ValueError, match="paired outcomes"):
        diebold_mariano([1.0] * 5, [0.0] * 5, [1.0] * 5, h=3)


def test_paired_bootstrap_is_seeded_and_matches_its_draws():
    rng = np.random.default_rng(0)
    n = 300
    realized = rng.standard_normal(n)
    pred_a = realized + 0.8 * rng.standard_normal(n)
    pred_b = realized + 1.2 * rng.standard_normal(n)
    a = paired_bootstrap(realized, pred_a, pred_b, seed=11, n_boot=2000)
    assert a == paired_bootstrap(realized, pred_a, pred_b, seed=11, n_boot=2000)
    assert a != paired_bootstrap(realized, pred_a, pred_b, seed=12, n_boot=2000)
    # the same resamples drawn in one piece from the same generator
    d = loss_differential(realized, pred_a, pred_b)
    idx = np.random.default_rng(11).integers(0, n, (2000, n))
    means = d[idx].mean(axis=1)
    assert a.mean_diff == pytest.approx(d.mean(), rel=1e-12)
    assert [a.ci_low, a.ci_high] == pytest.approx(np.quantile(means, [0.025, 0.975]), rel=1e-12)
    assert a.p_value == (1 + np.sum(np.abs(means - d.mean()) >= abs(d.mean()))) / 2001
    assert a.ci_high < 0 and a.p_value < 0.01  # arm a is clearly more accurate
    # no true difference: the interval covers 0 and the p-value is not small
    null = paired_bootstrap(realized, pred_a, realized + 0.8 * rng.standard_normal(n), seed=1, n_boot=2000)
    assert null.ci_low < 0 < null.ci_high and null.p_value > 0.05


def test_bootstrap_chunks_draw_the_same_stream(monkeypatch):
    import apps.ml.kernels.abtest as abtest

    d = np.random.default_rng(2).standard_normal(50)
    whole = bootstrap_means(d, 333, np.random.default_rng(5))
    monkeypatch.setattr(abtest, "_BOOT_CELLS", 50 * 7)  # chunks of 7 resamples
    np.testing.assert_array_equal(bootstrap_means(d, 333, np.random.default_rng(5)), whole)
