"""Breach probability: the chance that a limited quantity reaches its breach level within a horizon,
from its current utilization u = value / breach and the daily volatility σ of that utilization.
A first-passage problem (the barrier is u = 1), solved in closed form and vectorized over limits.

Models:
- "geometric" (default, for quantities that scale with prices: exposures, VaR): u is a driftless
  geometric Brownian motion, du = σ u dW, so u stays positive and has no expected trend. Then
  X = log u is a Brownian motion with drift μ = -σ²/2 and volatility σ, started at x = log u < 0,
  and the barrier is log 1 = 0. For a BM with drift μ the probability of reaching b = -x > 0 by h is
      P = Φ((-b + μh) / (σ√h)) + exp(2μb/σ²) · Φ((-b - μh) / (σ√h)),
  and with μ = -σ²/2, exp(2μb/σ²) = exp(-b) = u:
      P = Φ((log u - σ²h/2) / (σ√h)) + u · Φ((log u + σ²h/2) / (σ√h)).
  σ is the daily volatility of log u (≈ the relative daily change of the utilization).
- "arithmetic" (for quantities that can cross zero): u is a driftless Brownian motion with
  volatility σ in utilization units per √day; by the reflection principle
      P = 2 · (1 - Φ((1 - u) / (σ√h))).

Edges: u ≥ 1 → 1 (already at or past the breach level); σ = 0 or h = 0 below the barrier → 0;
geometric u ≤ 0 → 0 (a multiplicative process never leaves zero); any NaN input, σ < 0 or h < 0 →
NaN.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

MODELS = ("geometric", "arithmetic")


def first_passage_probability(u, sigma, horizon_days, model: str = "geometric") -> np.ndarray:
    """P(the utilization reaches 1 within `horizon_days`) per element of the broadcast inputs (an
    array of their broadcast shape, 0-d for scalars)."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    u, sigma, h = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (u, sigma, horizon_days)))
    spread = sigma * np.sqrt(np.maximum(h, 0.0))  # σ√h
    moving = (u < 1) & (spread > 0) & ((u > 0) | (model == "arithmetic"))
    s = np.where(moving, spread, 1.0)
    x = np.where(moving, u, 0.5)
    if model == "geometric":
        log_u = np.log(x)
        p = ndtr((log_u - s * s / 2) / s) + x * ndtr((log_u + s * s / 2) / s)
    else:
        p = 2.0 * ndtr(-(1.0 - x) / s)
    out = np.where(moving, np.minimum(p, 1.0), 0.0)
    out = np.where(u >= 1, 1.0, out)
    bad = np.isnan(u) | np.isnan(sigma) | np.isnan(h) | (sigma < 0) | (h < 0)
    return np.where(bad, np.nan, out)
