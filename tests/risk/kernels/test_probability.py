"""Breach probability (first passage of the utilization to 1) against seeded Monte Carlo of the same
processes, plus the edge cases and limits. Pure numpy: no database."""

from __future__ import annotations

import math

import numpy as np
import pytest

from apps.risk.kernels.probability import first_passage_probability as fpp

BGK_BETA = 0.5825971579390106  # -ζ(1/2) / √(2π): Broadie-Glasserman-Kou discrete-monitoring shift


def monte_carlo(u0, sigma, h, model, *, paths, steps, seed, bridge=True):
    """(estimate, standard error) of P(max over [0, h] of u ≥ 1), simulating the process exactly on
    a grid: log u a BM with drift -σ²/2 (geometric) or u a driftless BM (arithmetic). With `bridge`,
    each step below the barrier still crosses it in between with the Brownian-bridge probability
    exp(-2 (b - x0)(b - x1) / (σ² Δt)), so the grid is exact; without it, the grid only samples."""
    rng = np.random.default_rng(seed)
    dt = h / steps
    if model == "geometric":
        x, drift, barrier = np.full(paths, math.log(u0)), -sigma * sigma / 2, 0.0
    else:
        x, drift, barrier = np.full(paths, float(u0)), 0.0, 1.0
    survive = np.ones(paths)  # P(not crossed so far | the simulated grid)
    for _ in range(steps):
        nxt = x + drift * dt + sigma * math.sqrt(dt) * rng.standard_normal(paths)
        below = nxt < barrier
        if bridge:
            with np.errstate(over="ignore"):
                cross = np.exp(-2.0 * (barrier - x) * (barrier - nxt) / (sigma * sigma * dt))
            survive *= np.where(below, 1.0 - cross, 0.0)
        else:
            survive *= below
        x = nxt
    est = 1.0 - survive
    return est.mean(), est.std(ddof=1) / math.sqrt(paths)


CASES = [
    ("geometric", 0.8, 0.10, 5.0),
    ("geometric", 0.5, 0.30, 10.0),
    ("geometric", 0.95, 0.02, 1.0),
    ("geometric", 0.9, 0.05, 20.0),
    ("arithmetic", 0.8, 0.10, 5.0),
    ("arithmetic", 0.5, 0.20, 10.0),
    ("arithmetic", 0.95, 0.03, 1.0),
    ("arithmetic", -0.2, 0.30, 10.0),
]


@pytest.mark.parametrize("model,u,sigma,h", CASES)
def test_closed_form_matches_monte_carlo_with_bridge_correction(model, u, sigma, h):
    est, se = monte_carlo(u, sigma, h, model, paths=100_000, steps=200, seed=11)
    p = float(fpp(u, sigma, h, model))
    assert 0.01 < p < 0.99  # a case where the probability is neither trivially 0 nor 1
    assert abs(p - est) < 4 * se + 1e-4, (p, est, se)


@pytest.mark.parametrize("model,u,sigma,h", [("geometric", 0.8, 0.1, 5.0), ("arithmetic", 0.8, 0.1, 5.0)])
def test_plain_grid_matches_the_continuity_corrected_closed_form(model, u, sigma, h):
    # No bridge: a path looked at on 50 dates misses the crossings in between. Broadie, Glasserman &
    # Kou: that is the continuous probability with the barrier moved away by β σ √Δt (up to o(√Δt),
    # ~1e-3 here, measured with 400k paths).
    steps = 50
    est, se = monte_carlo(u, sigma, h, model, paths=100_000, steps=steps, seed=5, bridge=False)
    shift = BGK_BETA * sigma * math.sqrt(h / steps)
    u_eff = u * math.exp(-shift) if model == "geometric" else u - shift
    assert abs(float(fpp(u_eff, sigma, h, model)) - est) < 4 * se + 2e-3, (est, se)
    # ...and the grid is coarse enough that the uncorrected figure is clearly different (~0.04).
    assert abs(float(fpp(u, sigma, h, model)) - est) > 10 * se


def test_edges_at_and_past_the_barrier_no_volatility_and_nan():
    for model in ("geometric", "arithmetic"):
        p = fpp([1.0, 1.5, 0.9, 0.9, 0.9, np.nan, 0.9, 0.9, 0.9], [0.1, 0.1, 0.0, 0.1, np.nan, 0.1, 0.1, -0.1, 0.1],
                [1, 1, 1, 0, 1, 1, np.nan, 1, -1], model)  # fmt: skip
        np.testing.assert_array_equal(p, [1.0, 1.0, 0.0, 0.0, np.nan, np.nan, np.nan, np.nan, np.nan])
    # a multiplicative process at 0 (or below) never moves; an additive one does
    assert fpp([0.0, -0.5], 0.2, 10).tolist() == [0.0, 0.0]
    assert fpp(0.0, 0.2, 10, "arithmetic") == pytest.approx(2 * 0.0569231490, rel=1e-6)  # 2 × (1 - Φ(1.5811))


def test_limits_u_to_one_and_sigma_to_zero():
    for model in ("geometric", "arithmetic"):
        near = fpp(1 - np.array([1e-2, 1e-4, 1e-6, 1e-9]), 0.05, 1.0, model)
        assert np.all(np.diff(near) > 0) and near[-1] > 1 - 1e-6
        small = fpp(0.9, np.array([1e-1, 1e-2, 1e-3, 1e-6]), 1.0, model)
        # 0.1 away from the barrier with σ√h = 1e-3 is 100 standard deviations: 0 in double precision
        assert small[0] > small[1] > 0 and small[2] == small[3] == 0.0
    # arithmetic, by hand: u = 0.8, σ√h = 0.1 × √4 = 0.2 → 2 (1 - Φ(1)) = 2 × 0.15865525393 = 0.3173105
    assert fpp(0.8, 0.1, 4.0, "arithmetic") == pytest.approx(0.31731050786, rel=1e-9)


def test_geometric_long_horizon_tends_to_u_and_short_to_arithmetic():
    # A driftless GBM is a martingale: it ever reaches 1 from u with probability u (optional stopping).
    assert fpp(0.6, 0.2, 1e6) == pytest.approx(0.6, abs=1e-6)
    # BM is recurrent: 2 (1 - Φ(0.4 / (0.2 × 1e5))) = 2 (1 - Φ(2e-5)) ≈ 1 - 1.6e-5
    assert fpp(0.6, 0.2, 1e10, "arithmetic") == pytest.approx(1.0, abs=1e-4)
    # Near the barrier and over a short horizon the multiplicative noise σu is nearly additive.
    g = float(fpp(0.999, 0.01, 1.0))
    a = float(fpp(0.999, 0.01 * 0.999, 1.0, "arithmetic"))
    assert g == pytest.approx(a, rel=2e-3)


def test_vectorized_shapes_and_bad_model():
    p = fpp(np.array([[0.5], [0.9]]), np.array([0.1, 0.2, 0.3]), 5.0)
    assert p.shape == (2, 3)
    assert p[0, 0] == fpp(0.5, 0.1, 5.0)
    assert np.all(np.diff(p, axis=1) > 0) and np.all(p[1] > p[0])
    with pytest.raises(ValueError):
        fpp(0.5, 0.1, 1.0, "lognormal")
