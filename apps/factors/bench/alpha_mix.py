"""The formula mix the evaluation benches run: 21 Alpha158-style formulas (Qlib's spellings), each
with the SAME computation written directly with pandas rolling (the baseline), and synthetic
(dates x instruments) bar panels to run them on.

The pandas versions follow the operators' documented semantics (full windows, NaN where a window
holds a NaN, Slope/Rsquare/Resi as the OLS on time 1..w, IdxMax 1-based oldest-first, comparisons
NaN where an input is NaN), so both answers can be compared before anything is timed. They do what a
pandas user would write: each formula on its own, sub-expressions recomputed (the engine computes a
shared one, like Ref($close, 1), once per call)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

Frames = dict[str, pd.DataFrame]
EPS = 1e-12
W = 20


def _t(like: pd.DataFrame) -> pd.DataFrame:
    """Row number as a panel: the regressor of Slope/Rsquare/Resi (any shift of it gives the same)."""
    return pd.DataFrame(
        np.broadcast_to(np.arange(len(like), dtype=float)[:, None], like.shape),
        index=like.index,
        columns=like.columns,
    )


def _slope(x: pd.DataFrame, w: int) -> pd.DataFrame:
    return x.rolling(w).cov(_t(x)) / (w * (w + 1) / 12.0)  # var of 1..w (ddof=1) is w(w+1)/12


def _resi(x: pd.DataFrame, w: int) -> pd.DataFrame:
    return x - x.rolling(w).mean() - _slope(x, w) * (w - 1) / 2.0


def _rsquare(x: pd.DataFrame, w: int) -> pd.DataFrame:
    return x.rolling(w).corr(_t(x)) ** 2


def _up(f: Frames) -> pd.DataFrame:
    c, c1 = f["close"], f["close"].shift(1)
    return (c > c1).astype(float).where(c1.notna() & c.notna())


def _ret(f: Frames) -> pd.DataFrame:
    return f["close"] / f["close"].shift(1)


def _wv(f: Frames) -> pd.DataFrame:
    return (_ret(f) - 1).abs() * f["volume"]


def _rsv(f: Frames) -> pd.DataFrame:
    lo, hi = f["low"].rolling(W).min(), f["high"].rolling(W).max()
    return (f["close"] - lo) / (hi - lo + EPS)


MIX: tuple[tuple[str, str, Callable[[Frames], pd.DataFrame]], ...] = (
    ("KMID", "($close-$open)/$open", lambda f: (f["close"] - f["open"]) / f["open"]),
    ("KLEN", "($high-$low)/$open", lambda f: (f["high"] - f["low"]) / f["open"]),
    ("ROC5", "Ref($close, 5)/$close", lambda f: f["close"].shift(5) / f["close"]),
    ("MA20", "Mean($close, 20)/$close", lambda f: f["close"].rolling(W).mean() / f["close"]),
    ("STD20", "Std($close, 20)/$close", lambda f: f["close"].rolling(W).std() / f["close"]),
    ("BETA20", "Slope($close, 20)/$close", lambda f: _slope(f["close"], W) / f["close"]),
    ("RSQR20", "Rsquare($close, 20)", lambda f: _rsquare(f["close"], W)),
    ("RESI20", "Resi($close, 20)/$close", lambda f: _resi(f["close"], W) / f["close"]),
    ("MAX20", "Max($high, 20)/$close", lambda f: f["high"].rolling(W).max() / f["close"]),
    ("MIN20", "Min($low, 20)/$close", lambda f: f["low"].rolling(W).min() / f["close"]),
    (
        "QTLU20",
        "Quantile($close, 20, 0.8)/$close",
        lambda f: f["close"].rolling(W).quantile(0.8) / f["close"],
    ),
    (
        "QTLD20",
        "Quantile($close, 20, 0.2)/$close",
        lambda f: f["close"].rolling(W).quantile(0.2) / f["close"],
    ),
    ("RANK20", "Rank($close, 20)", lambda f: f["close"].rolling(W).rank(pct=True)),
    ("RSV20", "($close-Min($low, 20))/(Max($high, 20)-Min($low, 20)+1e-12)", _rsv),
    (
        "IMAX20",
        "IdxMax($high, 20)/20",
        lambda f: (f["high"].rolling(W).apply(np.argmax, raw=True) + 1) / W,
    ),
    (
        "CORR20",
        "Corr($close, Log($volume+1), 20)",
        lambda f: f["close"].rolling(W).corr(np.log(f["volume"] + 1)),
    ),
    (
        "CORD20",
        "Corr($close/Ref($close, 1), Log($volume/Ref($volume, 1)+1), 20)",
        lambda f: _ret(f).rolling(W).corr(np.log(f["volume"] / f["volume"].shift(1) + 1)),
    ),
    ("CNTP20", "Mean($close>Ref($close, 1), 20)", lambda f: _up(f).rolling(W).mean()),
    (
        "SUMP20",
        "Sum(Greater($close-Ref($close, 1), 0), 20)/(Sum(Abs($close-Ref($close, 1)), 20)+1e-12)",
        lambda f: (
            (f["close"] - f["close"].shift(1)).clip(lower=0).rolling(W).sum()
            / ((f["close"] - f["close"].shift(1)).abs().rolling(W).sum() + EPS)
        ),
    ),
    (
        "VSTD20",
        "Std($volume, 20)/($volume+1e-12)",
        lambda f: f["volume"].rolling(W).std() / (f["volume"] + EPS),
    ),
    (
        "WVMA20",
        "Std(Abs($close/Ref($close, 1)-1)*$volume, 20)/(Mean(Abs($close/Ref($close, 1)-1)*$volume, 20)+1e-12)",
        lambda f: _wv(f).rolling(W).std() / (_wv(f).rolling(W).mean() + EPS),
    ),
)


def synthetic_panels(n_dates: int, n_instruments: int, seed: int = 7) -> dict[str, np.ndarray]:
    """Daily bars: a geometric random walk close per instrument (its own volatility), open near the
    previous close, high/low around both, lognormal volume. (dates, instruments) float64, no gaps."""
    rng = np.random.default_rng(seed)
    vol = rng.uniform(0.01, 0.03, n_instruments)
    returns = rng.standard_normal((n_dates, n_instruments)) * vol
    close = 50.0 * np.exp(np.cumsum(returns, axis=0))
    open_ = np.vstack([close[:1], close[:-1]]) * np.exp(rng.standard_normal(close.shape) * vol * 0.3)
    spread = np.abs(rng.standard_normal(close.shape)) * vol * close * 0.5
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    volume = np.exp(rng.normal(13.0, 0.6, close.shape))
    vwap = (high + low + close) / 3.0
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume, "vwap": vwap}


def frames_of(panels: dict[str, np.ndarray]) -> Frames:
    return {name: pd.DataFrame(panel) for name, panel in panels.items()}
