"""What every features kernel shares: checking (T, N) panels and windows, and rolling means and
variances that are NaN for any window holding a NaN (never a mean over fewer bars)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def as_panel(values: np.ndarray, name: str) -> np.ndarray:
    """`values` as a (T, N) float64 array. Any other rank is refused rather than guessed at: a 1-D
    series could be one instrument or one bar, and silently picking one hides a caller's bug."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a (T, N) array (bars × instruments), got shape {arr.shape}")
    return arr


def same_shape(**panels: np.ndarray) -> tuple[np.ndarray, ...]:
    """The keyword panels as (T, N) float64 arrays, checked to share one shape."""
    arrays = tuple(as_panel(v, name) for name, v in panels.items())
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        listed = ", ".join(f"{name}={a.shape}" for name, a in zip(panels, arrays, strict=True))
        raise ValueError(f"inputs must share one (T, N) shape, got {listed}")
    return arrays


def check_window(window: int, minimum: int = 1, name: str = "window") -> int:
    """`window` as an int >= `minimum` (2 for anything with a sample variance)."""
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {window!r}")
    return int(window)


def rolling_mean(panel: np.ndarray, window: int) -> np.ndarray:
    """Mean of rows t - window + 1 .. t per column; NaN for t < window - 1 and for any window holding
    a NaN (min_periods = window: a partial mean would silently change the estimator's meaning).
    pandas treats ±inf inputs as NaN here too."""
    return pd.DataFrame(panel).rolling(window, min_periods=window).mean().to_numpy(dtype=np.float64)


def rolling_var(panel: np.ndarray, window: int) -> np.ndarray:
    """Sample variance (ddof=1) of rows t - window + 1 .. t per column, NaN as in `rolling_mean`.
    pandas' online algorithm is Welford-style and returns exactly 0 for a constant window."""
    return pd.DataFrame(panel).rolling(window, min_periods=window).var(ddof=1).to_numpy(dtype=np.float64)
