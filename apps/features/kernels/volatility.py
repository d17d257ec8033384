"""Rolling realized volatility estimators over (T, N) price panels, annualized.

Every estimator returns sigma = sqrt(periods_per_year * v_t), where v_t is a per-bar variance estimated
from the `window` bars t - window + 1 .. t (rows <= t only: no look-ahead). Windows that hold a NaN
(or a non-positive price, treated as NaN) give NaN; a negative variance estimate, only possible with
inconsistent bars (high below close ...), gives NaN too. Notation for bar i: O, H, L, C its prices,
C' the previous bar's close, n = window.

Warm-up (leading NaN rows): n - 1 for the range estimators (Parkinson, Garman-Klass, Rogers-Satchell),
which need only the bar itself; n for close-to-close and Yang-Zhang, which need the previous close,
so a NaN at row s also reaches the windows holding row s + 1.
"""

from __future__ import annotations

import numpy as np

from .panels import check_window, rolling_mean, rolling_var, same_shape
from .returns import log_returns

# Garman & Klass's weight on the squared open-to-close return, 2 ln 2 - 1 ≈ 0.386.
_GK_CLOSE_WEIGHT = 2.0 * np.log(2.0) - 1.0


def _log_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """ln(num / den), NaN where either side is NaN or <= 0 (never ±inf)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((num > 0) & (den > 0), np.log(num / den), np.nan)


def _annualize(variance: np.ndarray, periods_per_year: float) -> np.ndarray:
    if not np.isfinite(periods_per_year) or periods_per_year <= 0:
        raise ValueError(f"periods_per_year must be a positive number, got {periods_per_year!r}")
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.where(variance >= 0, variance, np.nan) * periods_per_year)


def close_to_close_volatility(close: np.ndarray, window: int, periods_per_year: float = 252) -> np.ndarray:
    """Classical estimator: v_t = sample variance (ddof=1) of the n log returns r_i = ln(C_i / C'_i),
    i = t - n + 1 .. t, i.e. 1/(n-1) * sum (r_i - mean r)^2. Needs n >= 2; warm-up n rows."""
    window = check_window(window, minimum=2)
    (close,) = same_shape(close=close)
    return _annualize(rolling_var(log_returns(close), window), periods_per_year)


def parkinson_volatility(
    high: np.ndarray, low: np.ndarray, window: int, periods_per_year: float = 252
) -> np.ndarray:
    """Parkinson (1980), "The Extreme Value Method for Estimating the Variance of the Rate of Return":
    v_t = 1 / (4 ln 2) * mean over the window of ln(H_i / L_i)^2. Warm-up n - 1 rows."""
    window = check_window(window)
    high, low = same_shape(high=high, low=low)
    range_sq = _log_ratio(high, low) ** 2
    return _annualize(rolling_mean(range_sq, window) / (4.0 * np.log(2.0)), periods_per_year)


def garman_klass_volatility(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    window: int,
    periods_per_year: float = 252,
) -> np.ndarray:
    """Garman & Klass (1980), "On the Estimation of Security Price Volatilities from Historical Data",
    their practical estimator sigma_5 without the overnight term:
    v_t = mean over the window of 0.5 ln(H_i / L_i)^2 - (2 ln 2 - 1) ln(C_i / O_i)^2.
    Warm-up n - 1 rows. Assumes zero drift and no opening jump (Yang-Zhang handles the jump)."""
    window = check_window(window)
    open_, high, low, close = same_shape(open_=open_, high=high, low=low, close=close)
    per_bar = 0.5 * _log_ratio(high, low) ** 2 - _GK_CLOSE_WEIGHT * _log_ratio(close, open_) ** 2
    return _annualize(rolling_mean(per_bar, window), periods_per_year)


def _rogers_satchell_terms(open_, high, low, close) -> np.ndarray:
    # ln(H/C) ln(H/O) + ln(L/C) ln(L/O): both products are >= 0 for consistent bars.
    return _log_ratio(high, close) * _log_ratio(high, open_) + _log_ratio(low, close) * _log_ratio(low, open_)


def rogers_satchell_volatility(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    window: int,
    periods_per_year: float = 252,
) -> np.ndarray:
    """Rogers & Satchell (1991), "Estimating Variance from High, Low and Closing Prices" (drift-
    independent): v_t = mean over the window of ln(H_i / C_i) ln(H_i / O_i) + ln(L_i / C_i) ln(L_i / O_i).
    Warm-up n - 1 rows."""
    window = check_window(window)
    open_, high, low, close = same_shape(open_=open_, high=high, low=low, close=close)
    return _annualize(rolling_mean(_rogers_satchell_terms(open_, high, low, close), window), periods_per_year)


def yang_zhang_volatility(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    window: int,
    periods_per_year: float = 252,
) -> np.ndarray:
    """Yang & Zhang (2000), "Drift-Independent Volatility Estimation Based on High, Low, Open, and Close
    Prices": v_t = V_O + k V_C + (1 - k) V_RS with k = 0.34 / (1.34 + (n + 1) / (n - 1)), where over the
    same n bars V_O is the sample variance (ddof=1) of the overnight returns ln(O_i / C'_i), V_C the
    sample variance of the open-to-close returns ln(C_i / O_i), and V_RS the Rogers-Satchell mean.
    Needs n >= 2; warm-up n rows (the first bar has no previous close)."""
    window = check_window(window, minimum=2)
    open_, high, low, close = same_shape(open_=open_, high=high, low=low, close=close)
    prev_close = np.vstack([np.full((1, close.shape[1]), np.nan), close[:-1]])
    overnight = rolling_var(_log_ratio(open_, prev_close), window)
    open_to_close = rolling_var(_log_ratio(close, open_), window)
    rs = rolling_mean(_rogers_satchell_terms(open_, high, low, close), window)
    k = 0.34 / (1.34 + (window + 1) / (window - 1))
    return _annualize(overnight + k * open_to_close + (1.0 - k) * rs, periods_per_year)
