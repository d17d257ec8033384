"""Value at Risk and Expected Shortfall, vectorized over portfolios (rows).

Conventions (empyrical's, so the figures can be checked against it): losses are positive numbers;
historical VaR at confidence c is minus the (1 - c) percentile of the P&L scenarios with linear
interpolation (numpy's default), ES is minus the mean of the scenarios at or below that percentile.
A horizon of h days scales one-day figures by √h (square-root-of-time).

The other estimators keep the same sign convention. Where they have a distribution (parametric,
Monte Carlo) the horizon is applied to the distribution under an i.i.d. assumption: the mean is
scaled by h and the standard deviation by √h, so with a zero mean they agree with √h scaling.
The backtests at the end check a VaR series against the P&L that followed.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats
from sklearn.covariance import LedoitWolf

from .var_levels import historical_var_es_levels

# Portfolios × simulations held at once by the Monte Carlo estimator (≈ 160 MB of float64), so
# 10,000 portfolios × 10,000 paths run in slices instead of one 800 MB block.
_MC_CELLS_PER_CHUNK = 20_000_000


def historical_var_es(
    pnl: np.ndarray, confidence: float | np.ndarray = 0.99, horizon_days: float | np.ndarray = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """One (VaR, ES) pair per row of `pnl` (portfolios × scenarios, one-day P&L in money or returns).
    `confidence` and `horizon_days` are scalars or one per row. NaN scenarios are ignored; a row with
    no finite scenario gives NaN. Rows sharing a confidence are done together (var_levels.py: one
    partial sort per row)."""
    pnl = np.atleast_2d(np.asarray(pnl, dtype=float))
    rows = pnl.shape[0]
    conf = np.broadcast_to(np.asarray(confidence, dtype=float), (rows,))
    scale = np.sqrt(np.broadcast_to(np.asarray(horizon_days, dtype=float), (rows,)))
    var = np.full(rows, np.nan)
    es = np.full(rows, np.nan)
    for c in np.unique(conf):
        sel = np.flatnonzero(conf == c)
        v, e = historical_var_es_levels(pnl[sel] if sel.size < rows else pnl, [c])
        var[sel], es[sel] = v[:, 0], e[:, 0]
    return var * scale, es * scale


def parametric_var_es(
    mean: float | np.ndarray,
    std: float | np.ndarray,
    confidence: float | np.ndarray = 0.99,
    horizon_days: float | np.ndarray = 1.0,
    method: str = "normal",
    skew: float | np.ndarray | None = None,
    excess_kurtosis: float | np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(VaR, ES) per portfolio from one-day moments of its P&L (money or returns; all arguments
    broadcast to one value per row).

    Horizon: the one-day P&L is taken as i.i.d. over h days, so the h-day mean is μh, the h-day
    standard deviation σ√h, and for Cornish-Fisher the h-day skew S/√h and excess kurtosis K/h
    (cumulants add up under independence). With α = 1 - c and z = Φ⁻¹(α) (negative):

    - normal: VaR = -(μh + zσ√h); ES = σ√h φ(z)/α - μh (the closed-form normal tail mean).
    - cornish_fisher: VaR uses z_cf = z + (z²-1)S/6 + (z³-3z)K/24 - (2z³-5z)S²/36. ES is the tail
      mean of the same Cornish-Fisher quantile function, -(1/α)∫₀^α q_cf(u) du; substituting
      u = Φ(x) and integrating x^k φ(x) on (-∞, z] gives the closed form
      ES = σ√h φ(z)/α · [1 + zS/6 + (z²-1)K/24 - (2z²-1)S²/36] - μh.
      For extreme S, K the expansion stops being monotone and that integral can fall below VaR;
      ES is then floored at VaR, since a tail mean is never smaller than its quantile.
      With S = K = 0 both reduce to the normal figures.
    """
    if method not in ("normal", "cornish_fisher"):
        raise ValueError(f"method must be 'normal' or 'cornish_fisher', got {method!r}")
    mean, std, conf, h = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(a, dtype=float)) for a in (mean, std, confidence, horizon_days))
    )
    alpha = 1.0 - conf
    z = stats.norm.ppf(alpha)
    mu_h, sd_h = mean * h, std * np.sqrt(h)
    if method == "normal":
        return -(mu_h + z * sd_h), sd_h * stats.norm.pdf(z) / alpha - mu_h

    if skew is None or excess_kurtosis is None:
        raise ValueError("cornish_fisher needs skew and excess_kurtosis")
    s = np.asarray(skew, dtype=float) / np.sqrt(h)
    k = np.asarray(excess_kurtosis, dtype=float) / h
    z_cf = z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36
    var = -(mu_h + z_cf * sd_h)
    tail = 1 + z * s / 6 + (z**2 - 1) * k / 24 - (2 * z**2 - 1) * s**2 / 36
    es = sd_h * stats.norm.pdf(z) / alpha * tail - mu_h
    return var, np.maximum(es, var)


def covariance(returns: np.ndarray, method: str = "sample") -> np.ndarray:
    """Instrument return covariance (N, N) from returns (T, N); rows with a NaN are dropped first
    (complete cases), so every entry is estimated on the same days and the matrix stays PSD.

    - sample: unbiased (T - 1) sample covariance.
    - ledoit_wolf: sklearn.covariance.LedoitWolf, Ledoit & Wolf (2004) shrinkage of the (1/T,
      demeaned) sample covariance toward a multiple of the identity with the optimal intensity;
      it keeps the matrix well-conditioned when T is not much larger than N.
    """
    if method not in ("sample", "ledoit_wolf"):
        raise ValueError(f"method must be 'sample' or 'ledoit_wolf', got {method!r}")
    x = np.asarray(returns, dtype=float)
    if x.ndim != 2:
        raise ValueError("returns must be a (T, N) matrix")
    x = x[np.isfinite(x).all(axis=1)]
    if x.shape[0] < 2:
        raise ValueError("need at least two complete rows of returns")
    if method == "ledoit_wolf":
        return LedoitWolf().fit(x).covariance_
    return np.cov(x, rowvar=False, ddof=1).reshape(x.shape[1], x.shape[1])


def _covariance_factor(cov: np.ndarray) -> np.ndarray:
    """A with A Aᵀ = cov, for correlated normal draws. Cholesky when the matrix is positive
    definite; a singular or numerically indefinite one (two instruments perfectly correlated, more
    instruments than observations) falls back to the eigen-decomposition with tiny negative
    eigenvalues clipped to zero. A clearly indefinite matrix is an error, not something to patch."""
    cov = np.asarray(cov, dtype=float)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError("cov must be a square (N, N) matrix")
    if not np.isfinite(cov).all():
        raise ValueError("cov must be finite")
    cov = (cov + cov.T) / 2
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        pass
    w, v = np.linalg.eigh(cov)
    if w.min() < -1e-8 * max(abs(w.max()), 1e-300):
        raise ValueError("cov is not positive semi-definite") from None
    return v * np.sqrt(np.clip(w, 0.0, None))


def monte_carlo_var_es(
    values: np.ndarray,
    cov: np.ndarray,
    confidence: float | np.ndarray = 0.99,
    horizon_days: float | np.ndarray = 1.0,
    simulations: int = 10_000,
    seed: int | None = 0,
    mean: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(VaR, ES) per portfolio by simulation: one-day instrument returns ~ N(mean, cov) (mean 0 when
    None) drawn with numpy's Generator(seed); the h-day return of path s is h·mean + √h·(draw_s -
    mean), i.e. i.i.d. days as in `parametric_var_es`, P&L = returns @ valuesᵀ, and the historical
    estimator (at horizon 1, the horizon being in the paths) on the simulated P&L.

    `values` (P, N) are positions' market values in money. All portfolios share the same paths
    (common random numbers), so differences between books are not simulation noise, and the same
    seed gives the same figures."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    factor = _covariance_factor(cov)
    n = factor.shape[0]
    if values.shape[1] != n:
        raise ValueError(f"values have {values.shape[1]} instruments, cov has {n}")
    if simulations < 2:
        raise ValueError("simulations must be at least 2")
    rows = values.shape[0]
    conf = np.broadcast_to(np.asarray(confidence, dtype=float), (rows,))
    h = np.broadcast_to(np.asarray(horizon_days, dtype=float), (rows,))
    mu = np.zeros(n) if mean is None else np.asarray(mean, dtype=float)

    shocks = np.random.default_rng(seed).standard_normal((simulations, n)) @ factor.T
    var = np.empty(rows)
    es = np.empty(rows)
    step = max(1, _MC_CELLS_PER_CHUNK // simulations)
    for lo in range(0, rows, step):
        sl = slice(lo, lo + step)
        pnl = (shocks @ values[sl].T).T * np.sqrt(h[sl])[:, None] + (h[sl] * (values[sl] @ mu))[:, None]
        var[sl], es[sl] = historical_var_es(pnl, conf[sl], 1.0)
    return var, es


def component_var(
    values: np.ndarray,
    cov: np.ndarray,
    confidence: float | np.ndarray = 0.99,
    horizon_days: float | np.ndarray = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normal (zero-mean) parametric VaR of each portfolio with its Euler decomposition.

    With σ_p = √(vᵀΣv) and z = Φ⁻¹(c) (positive), VaR = z√h σ_p is homogeneous of degree one in
    the positions' values v, so the marginal VaR ∂VaR/∂v_i = z√h (Σv)_i / σ_p and the component
    VaR v_i · marginal_i sum exactly to VaR (Euler). A component is negative for a hedge.
    A riskless book (σ_p = 0) has VaR 0 and, the gradient being undefined there, zero marginals.

    Returns (var (P,), marginal (P, N), component (P, N)); a 1-D `values` is one portfolio."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    cov = np.asarray(cov, dtype=float)
    rows = values.shape[0]
    conf = np.broadcast_to(np.asarray(confidence, dtype=float), (rows,))
    h = np.broadcast_to(np.asarray(horizon_days, dtype=float), (rows,))
    sigma_v = values @ cov  # (Σv)ᵀ per row; cov is symmetric
    sigma_p = np.sqrt(np.clip(np.einsum("pn,pn->p", sigma_v, values), 0.0, None))
    scale = stats.norm.ppf(conf) * np.sqrt(h)
    with np.errstate(invalid="ignore", divide="ignore"):
        marginal = np.where(sigma_p[:, None] > 0, scale[:, None] * sigma_v / sigma_p[:, None], 0.0)
    return scale * sigma_p, marginal, values * marginal


def historical_component_var_es(
    values: np.ndarray,
    returns: np.ndarray,
    confidence: float | np.ndarray = 0.99,
    horizon_days: float | np.ndarray = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Historical VaR and ES per portfolio with their per-position contributions.

    Holding the scenario ordering fixed, historical VaR is the linear interpolation between the
    k-th and (k+1)-th worst scenario P&L, and ES the mean of the tail scenarios; both are linear in
    the positions, so position i contributes -v_i × (the same interpolation / tail mean of its own
    returns in those scenarios), and contributions add up to the portfolio figure exactly (the
    scenario form of the Euler allocation, Tasche 2000; Hallerbach 2003). A contribution from a
    single scenario is noisy: read it as "what drove the loss on the VaR day", not a smooth gradient.

    `values` (P, N) money, `returns` (T, N) one-day instrument returns (NaN = no move). √h scaling
    as in `historical_var_es`. Returns (var (P,), es (P,), var_contrib (P, N), es_contrib (P, N))."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    r = np.nan_to_num(np.asarray(returns, dtype=float), nan=0.0)
    t = r.shape[0]
    rows = values.shape[0]
    conf = np.broadcast_to(np.asarray(confidence, dtype=float), (rows,))
    scale = np.sqrt(np.broadcast_to(np.asarray(horizon_days, dtype=float), (rows,)))
    pnl = values @ r.T  # (P, T)
    order = np.argsort(pnl, axis=1, kind="stable")
    pos = (t - 1) * (1.0 - conf)  # numpy's "linear" percentile position
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, t - 1)
    frac = (pos - lo)[:, None]
    idx = np.arange(rows)
    r_lo, r_hi = r[order[idx, lo]], r[order[idx, hi]]  # (P, N) returns in the two scenarios
    var_contrib = -values * ((1 - frac) * r_lo + frac * r_hi)
    cut = (1 - frac[:, 0]) * pnl[idx, order[idx, lo]] + frac[:, 0] * pnl[idx, order[idx, hi]]
    in_tail = pnl <= cut[:, None]  # (P, T), the same tail as historical_var_es
    es_contrib = -values * (in_tail.astype(float) @ r) / in_tail.sum(axis=1)[:, None]
    s = scale[:, None]
    return (
        var_contrib.sum(axis=1) * scale,
        es_contrib.sum(axis=1) * scale,
        var_contrib * s,
        es_contrib * s,
    )


# --- Backtests ------------------------------------------------------------------------------------
# An exception is a day whose P&L lost more than the VaR forecast for it (pnl < -VaR). Likelihoods
# use xlogy, so 0·log 0 = 0 and zero counts (no exception at all, or no exception after an
# exception) give finite statistics instead of NaN.


def _scalar_if(a: np.ndarray, squeeze: bool):
    return a[0] if squeeze else a


def _kupiec_lr(x: np.ndarray, n: np.ndarray, p0: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, x / np.where(n > 0, n, 1), np.nan)
        null = special.xlogy(n - x, 1 - p0) + special.xlogy(x, p0)
        alt = special.xlogy(n - x, 1 - rate) + special.xlogy(x, rate)
    return np.maximum(-2 * (null - alt), 0.0)  # rounding can leave -1e-15 when x/n == p0


def kupiec_pof(
    exceptions: int | np.ndarray, observations: int | np.ndarray, confidence: float | np.ndarray = 0.99
) -> tuple[np.ndarray, np.ndarray]:
    """Kupiec (1995) proportion-of-failures test: x exceptions in n days against the expected rate
    p = 1 - c. LR = -2 ln[(1-p)^(n-x) p^x / ((1-x/n)^(n-x) (x/n)^x)] ~ χ²(1) under a correct VaR.
    Returns (LR, p-value), scalars in → scalars out, arrays broadcast; n = 0 gives NaN."""
    squeeze = all(np.ndim(a) == 0 for a in (exceptions, observations, confidence))
    x, n, c = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(a, dtype=float)) for a in (exceptions, observations, confidence))
    )
    if np.any((x < 0) | (x > n)):
        raise ValueError("exceptions must be between 0 and observations")
    lr = _kupiec_lr(x, n, 1 - c)
    return _scalar_if(lr, squeeze), _scalar_if(stats.chi2.sf(lr, 1), squeeze)


def _independence_lr(exc: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Christoffersen's LR_ind per row from day-to-day transitions; a transition counts only when
    both days are observed. n_ij = days in state j after a day in state i (1 = exception):
    LR_ind = -2 [ln L(π) - ln L(π01, π11)], π01 = n01/(n00+n01), π11 = n11/(n10+n11),
    π = (n01+n11)/total. NaN for a row without any transition."""
    prev, cur = exc[:, :-1], exc[:, 1:]
    both = valid[:, :-1] & valid[:, 1:]
    n00 = np.sum(both & ~prev & ~cur, axis=1).astype(float)
    n01 = np.sum(both & ~prev & cur, axis=1).astype(float)
    n10 = np.sum(both & prev & ~cur, axis=1).astype(float)
    n11 = np.sum(both & prev & cur, axis=1).astype(float)
    total = n00 + n01 + n10 + n11
    pi01 = n01 / np.fmax(n00 + n01, 1)
    pi11 = n11 / np.fmax(n10 + n11, 1)
    pi = (n01 + n11) / np.fmax(total, 1)
    markov = (
        special.xlogy(n00, 1 - pi01)
        + special.xlogy(n01, pi01)
        + special.xlogy(n10, 1 - pi11)
        + special.xlogy(n11, pi11)
    )
    iid = special.xlogy(n00 + n10, 1 - pi) + special.xlogy(n01 + n11, pi)
    return np.where(total > 0, np.maximum(-2 * (iid - markov), 0.0), np.nan)


def _christoffersen(exc: np.ndarray, valid: np.ndarray, conf: np.ndarray) -> tuple[np.ndarray, ...]:
    lr_ind = _independence_lr(exc, valid)
    lr_pof = _kupiec_lr(np.sum(exc & valid, axis=1).astype(float), valid.sum(axis=1).astype(float), 1 - conf)
    lr_cc = lr_pof + lr_ind
    return lr_ind, stats.chi2.sf(lr_ind, 1), lr_cc, stats.chi2.sf(lr_cc, 2)


def christoffersen(
    exception_series: np.ndarray, confidence: float | np.ndarray = 0.99
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Christoffersen (1998) tests on a boolean exception series (T,) or one per row (P, T):
    independence (are exceptions clustered? χ²(1)) and conditional coverage LR_cc = LR_pof + LR_ind
    (χ²(2)), where LR_pof is Kupiec's over the whole series. Returns (LR_ind, p_ind, LR_cc, p_cc)."""
    exc = np.asarray(exception_series, dtype=bool)
    squeeze = exc.ndim == 1
    exc = np.atleast_2d(exc)
    conf = np.broadcast_to(np.asarray(confidence, dtype=float), (exc.shape[0],))
    out = _christoffersen(exc, np.ones_like(exc), conf)
    return tuple(_scalar_if(a, squeeze) for a in out)


def var_backtest(
    returns_or_pnl: np.ndarray, var_series: np.ndarray, confidence: float | np.ndarray = 0.99
) -> dict[str, np.ndarray]:
    """Backtest of VaR forecasts: `var_series[t]` (a positive loss, forecast before day t) against
    the realized `returns_or_pnl[t]` in the same units; (T,) or one row per portfolio (P, T). Days
    where either is NaN are not observations. Returns exceptions, observations, rate (exceptions /
    observations), expected_rate (1 - c) and the Kupiec (pof_lr, pof_p) and Christoffersen
    (ind_lr, ind_p, cc_lr, cc_p) statistics, scalars for 1-D input."""
    pnl = np.asarray(returns_or_pnl, dtype=float)
    var = np.asarray(var_series, dtype=float)
    if pnl.shape != var.shape:
        raise ValueError(f"returns_or_pnl {pnl.shape} and var_series {var.shape} must have the same shape")
    squeeze = pnl.ndim == 1
    pnl, var = np.atleast_2d(pnl), np.atleast_2d(var)
    conf = np.broadcast_to(np.asarray(confidence, dtype=float), (pnl.shape[0],))
    valid = np.isfinite(pnl) & np.isfinite(var)
    exc = valid & (pnl < -var)
    x = exc.sum(axis=1).astype(float)
    n = valid.sum(axis=1).astype(float)
    lr_pof = _kupiec_lr(x, n, 1 - conf)
    lr_ind, p_ind, lr_cc, p_cc = _christoffersen(exc, valid, conf)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, x / n, np.nan)
    result = {
        "exceptions": x.astype(int),
        "observations": n.astype(int),
        "rate": rate,
        "expected_rate": 1 - conf,
        "pof_lr": lr_pof,
        "pof_p": stats.chi2.sf(lr_pof, 1),
        "ind_lr": lr_ind,
        "ind_p": p_ind,
        "cc_lr": lr_cc,
        "cc_p": p_cc,
    }
    return {k: _scalar_if(np.asarray(v), squeeze) for k, v in result.items()}
