"""Attribution kernels: Brinson-Fachler, multi-period linking (Carino, Menchero), factor regression,
security contributions to return and to risk. Pure numpy, vectorized: leading axes are portfolios.

Shapes: `periods` is T, `sectors`/`securities` N, `factors` K; any number of leading axes (P
portfolios, ...) broadcast through. Returns are simple returns as fractions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LINKINGS = ("carino", "menchero")


@dataclass(frozen=True)
class BrinsonEffects:
    """Per period and sector (..., T, N). Allocation + selection + interaction = Rp_t - Rb_t."""

    allocation: np.ndarray
    selection: np.ndarray
    interaction: np.ndarray
    portfolio_return: np.ndarray  # (..., T)
    benchmark_return: np.ndarray  # (..., T)


def brinson_fachler(wp, rp, wb, rb) -> BrinsonEffects:
    """Brinson-Fachler effects from sector weights and returns, each (..., T, N).

    allocation_i = (wp_i - wb_i)(rb_i - Rb), selection_i = wb_i (rp_i - rb_i),
    interaction_i = (wp_i - wb_i)(rp_i - rb_i). Measuring allocation against the benchmark total
    Rb (Fachler) makes an overweight in a sector that lags the benchmark cost, not earn; the sum over
    sectors is unchanged because Σ(wp - wb) = 0 when both weight sets sum to one."""
    wp, rp, wb, rb = (np.asarray(a, dtype=float) for a in (wp, rp, wb, rb))
    port = np.sum(wp * rp, axis=-1)
    bench = np.sum(wb * rb, axis=-1)
    active_w = wp - wb
    return BrinsonEffects(
        allocation=active_w * (rb - bench[..., None]),
        selection=wb * (rp - rb),
        interaction=active_w * (rp - rb),
        portfolio_return=port,
        benchmark_return=bench,
    )


def _log_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(ln(1+a) - ln(1+b)) / (a - b), with its limit 1/(1+a) where a == b."""
    diff = a - b
    same = np.isclose(diff, 0.0, rtol=0.0, atol=1e-15)
    safe = np.where(same, 1.0, diff)
    return np.where(same, 1.0 / (1.0 + a), (np.log1p(a) - np.log1p(b)) / safe)


def compound(r, axis: int = -1) -> np.ndarray:
    return np.prod(1.0 + np.asarray(r, dtype=float), axis=axis) - 1.0


def link_coefficients(rp, rb, method: str = "carino") -> np.ndarray:
    """Per-period multipliers (..., T) so that Σ_t coeff_t · effect_t adds up, over any effects
    that sum to rp_t - rb_t each period, to the compounded excess Π(1+rp) - Π(1+rb).

    Carino: k_t / K with k_t = ln-ratio of the period, K = ln-ratio of the whole span.
    Menchero: a constant M = (Rp - Rb) / (T((1+Rp)^(1/T) - (1+Rb)^(1/T))) plus a correction
    α_t proportional to the period's excess, sized so the residual left by M is spread with the
    least squares distortion."""
    rp = np.asarray(rp, dtype=float)
    rb = np.asarray(rb, dtype=float)
    total_p, total_b = compound(rp), compound(rb)
    if method == "carino":
        return _log_ratio(rp, rb) / _log_ratio(total_p, total_b)[..., None]
    if method == "menchero":
        t = rp.shape[-1]
        gp, gb = (1.0 + total_p) ** (1.0 / t), (1.0 + total_b) ** (1.0 / t)
        gdiff = gp - gb
        same = np.isclose(gdiff, 0.0, rtol=0.0, atol=1e-15)
        m = np.where(same, gp ** (t - 1), (total_p - total_b) / (t * np.where(same, 1.0, gdiff)))
        d = rp - rb
        ss = np.sum(d * d, axis=-1)
        resid = (total_p - total_b) - m * np.sum(d, axis=-1)
        alpha = np.where(ss > 0, resid / np.where(ss > 0, ss, 1.0), 0.0)[..., None] * d
        return m[..., None] + alpha
    raise ValueError(f"linking must be one of {', '.join(LINKINGS)}, not {method!r}")


def link_effects(effects, rp, rb, method: str = "carino") -> np.ndarray:
    """Link per-period effects (..., T, N) over T: (..., N), summing to Π(1+rp) - Π(1+rb)."""
    coeff = link_coefficients(rp, rb, method)
    return np.sum(np.asarray(effects, dtype=float) * coeff[..., None], axis=-2)


@dataclass(frozen=True)
class FactorAttribution:
    """For P portfolios and K factors: exposures (P, K), t-stats (P, K), alpha (P,) per period,
    alpha_t (P,), factor contributions (P, K) = exposure · Σ factor return, specific return (P,)
    = Σ portfolio return - Σ contributions (the intercept times T: OLS residuals sum to zero),
    r_squared (P,), n_periods."""

    exposures: np.ndarray
    t_stats: np.ndarray
    alpha: np.ndarray
    alpha_t: np.ndarray
    contributions: np.ndarray
    specific: np.ndarray
    total: np.ndarray
    r_squared: np.ndarray
    n_periods: int


def factor_attribution(returns, factors) -> FactorAttribution:
    """OLS with an intercept of each portfolio's returns (T,) or (P, T) on factor returns (T, K).

    All portfolios share one design matrix, so one least-squares solve fits them all (the
    statsmodels fit, one portfolio at a time, is the test's reference)."""
    y = np.atleast_2d(np.asarray(returns, dtype=float))
    f = np.asarray(factors, dtype=float)
    if f.ndim == 1:
        f = f[:, None]
    t, k = f.shape
    if y.shape[-1] != t:
        raise ValueError("returns and factors must cover the same periods")
    if t <= k + 1:
        raise ValueError(f"need more periods ({t}) than factors plus intercept ({k + 1})")
    x = np.column_stack([np.ones(t), f])
    coef, _, rank, _ = np.linalg.lstsq(x, y.T, rcond=None)
    if rank < k + 1:
        raise ValueError("factor returns are collinear")
    resid = y.T - x @ coef
    dof = t - (k + 1)
    sigma2 = np.sum(resid * resid, axis=0) / dof
    xtx_inv_diag = np.diag(np.linalg.inv(x.T @ x))
    se = np.sqrt(np.outer(sigma2, xtx_inv_diag))
    tstats = coef.T / np.where(se > 0, se, np.nan)
    centred = y - y.mean(axis=1, keepdims=True)
    sst = np.sum(centred * centred, axis=1)
    r2 = 1.0 - np.sum(resid * resid, axis=0) / np.where(sst > 0, sst, np.nan)
    exposures = coef[1:].T
    contributions = exposures * f.sum(axis=0)
    total = y.sum(axis=1)
    return FactorAttribution(
        exposures=exposures,
        t_stats=tstats[:, 1:],
        alpha=coef[0],
        alpha_t=tstats[:, 0],
        contributions=contributions,
        specific=total - contributions.sum(axis=1),
        total=total,
        r_squared=r2,
        n_periods=t,
    )


def contribution_to_return(weights, returns, method: str = "carino") -> tuple[np.ndarray, np.ndarray]:
    """Security contributions: per period w_it · r_it (..., T, N), linked over T against a zero
    benchmark so they add up to the compounded portfolio return Π(1 + Σ_i w_it r_it) - 1.
    Returns (linked contributions (..., N), portfolio returns per period (..., T))."""
    w = np.asarray(weights, dtype=float)
    r = np.asarray(returns, dtype=float)
    per_period = w * r
    port = per_period.sum(axis=-1)
    return link_effects(per_period, port, np.zeros_like(port), method), port


def contribution_to_risk(weights, cov) -> tuple[np.ndarray, np.ndarray]:
    """Each security's share of portfolio volatility: w_i (Σw)_i / σ_p, for weights (..., N) and
    a covariance (N, N); the shares add up to σ_p = sqrt(w'Σw) (Euler's theorem: volatility is
    homogeneous of degree one in the weights). Returns (contributions (..., N), σ_p (...))."""
    w = np.asarray(weights, dtype=float)
    sigma_w = w @ np.asarray(cov, dtype=float)  # Σ is symmetric: (wΣ)_i = (Σw)_i
    vol = np.sqrt(np.sum(w * sigma_w, axis=-1))
    safe = np.where(vol > 0, vol, np.nan)
    return w * sigma_w / safe[..., None], vol


def contribution_to_risk_ex_post(contributions) -> tuple[np.ndarray, np.ndarray]:
    """Each item's share of the realized volatility of R_t = Σ_i c_it, from per-period contributions
    (..., T, N): cov(c_i, R) / σ_R with sample moments (ddof 1). They add up to σ_R, because
    Σ_i cov(c_i, R) = var(R); unlike w_i (Σw)_i / σ_p this needs no return for items (cash, a
    trading residual) whose weight can be zero while they contribute. Returns (shares (..., N), σ_R)."""
    c = np.asarray(contributions, dtype=float)
    t = c.shape[-2]
    if t < 2:
        return np.full(c.shape[:-2] + c.shape[-1:], np.nan), np.full(c.shape[:-2], np.nan)
    total = c.sum(axis=-1)
    dc = c - c.mean(axis=-2, keepdims=True)
    dt = total - total.mean(axis=-1, keepdims=True)
    cov = np.einsum("...tn,...t->...n", dc, dt) / (t - 1)
    vol = np.sqrt(np.sum(dt * dt, axis=-1) / (t - 1))
    safe = np.where(vol > 0, vol, np.nan)
    return cov / safe[..., None], vol
