"""Alpha158 computed directly with pandas / numpy / scipy, one function per Qlib template (KBAR,
price, and each rolling operator over a window d), written from Qlib's definitions independently
of our operators: regressions on time through rolling cov / corr with a time column, positions
through np.argmax, percentile ranks through scipy's percentileofscore, quantiles through
np.quantile. Windows are full (min_periods=d), our semantics rather than Qlib's partial windows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.stats import percentileofscore

Fields = dict[str, pd.DataFrame]


def _rolling(x: pd.DataFrame, d: int):
    return x.rolling(d, min_periods=d)


def _time_like(x: pd.DataFrame) -> pd.DataFrame:
    """Row number as a panel: the regressor of Qlib's Slope / Rsquare / Resi."""
    rows = np.arange(len(x), dtype=np.float64)
    return pd.DataFrame(np.repeat(rows[:, None], x.shape[1], axis=1), index=x.index, columns=x.columns)


def _slope(y: pd.DataFrame, d: int) -> pd.DataFrame:
    time = _time_like(y)
    return _rolling(y, d).cov(time) / _rolling(time, d).var()


def _resi(y: pd.DataFrame, d: int) -> pd.DataFrame:
    time = _time_like(y)
    slope = _slope(y, d)
    intercept = _rolling(y, d).mean() - slope * _rolling(time, d).mean()
    return y - (intercept + slope * time)


def _rsquare(y: pd.DataFrame, d: int) -> pd.DataFrame:
    return _rolling(y, d).corr(_time_like(y)) ** 2


def _position(x: pd.DataFrame, d: int, pick) -> pd.DataFrame:
    return _rolling(x, d).apply(lambda w: pick(w) + 1.0, raw=True)


def _percentile_rank(x: pd.DataFrame, d: int) -> pd.DataFrame:
    return _rolling(x, d).apply(lambda w: percentileofscore(w, w[-1]) / 100.0, raw=True)


def _quantile(x: pd.DataFrame, d: int, q: float) -> pd.DataFrame:
    return _rolling(x, d).apply(lambda w: np.quantile(w, q), raw=True)


def _indicator(flag: pd.DataFrame, *inputs: pd.DataFrame) -> pd.DataFrame:
    """A comparison as 1.0 / 0.0, NaN where an input is NaN."""
    out = flag.astype(np.float64)
    for x in inputs:
        out = out.mask(x.isna())
    return out


def _up_down_move(x: pd.DataFrame, d: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    change = x - x.shift(1)
    up = _rolling(change.clip(lower=0), d).sum()
    down = _rolling((-change).clip(lower=0), d).sum()
    move = _rolling(change.abs(), d).sum() + 1e-12
    return up, down, move


def _wvma(f: Fields, d: int) -> pd.DataFrame:
    weighted = (f["close"] / f["close"].shift(1) - 1).abs() * f["volume"]
    return _rolling(weighted, d).std() / (_rolling(weighted, d).mean() + 1e-12)


def _cnt(f: Fields, d: int, up: bool) -> pd.DataFrame:
    close, previous = f["close"], f["close"].shift(1)
    flag = close > previous if up else close < previous
    return _rolling(_indicator(flag, close, previous), d).mean()


def _cord(f: Fields, d: int) -> pd.DataFrame:
    price = f["close"] / f["close"].shift(1)
    volume = np.log(f["volume"] / f["volume"].shift(1) + 1)
    return _rolling(price, d).corr(volume)


ROLLING: dict[str, Callable[[Fields, int], pd.DataFrame]] = {
    "ROC": lambda f, d: f["close"].shift(d) / f["close"],
    "MA": lambda f, d: _rolling(f["close"], d).mean() / f["close"],
    "STD": lambda f, d: _rolling(f["close"], d).std() / f["close"],
    "BETA": lambda f, d: _slope(f["close"], d) / f["close"],
    "RSQR": lambda f, d: _rsquare(f["close"], d),
    "RESI": lambda f, d: _resi(f["close"], d) / f["close"],
    "MAX": lambda f, d: _rolling(f["high"], d).max() / f["close"],
    "MIN": lambda f, d: _rolling(f["low"], d).min() / f["close"],
    "QTLU": lambda f, d: _quantile(f["close"], d, 0.8) / f["close"],
    "QTLD": lambda f, d: _quantile(f["close"], d, 0.2) / f["close"],
    "RANK": lambda f, d: _percentile_rank(f["close"], d),
    "RSV": lambda f, d: (
        (f["close"] - _rolling(f["low"], d).min())
        / (_rolling(f["high"], d).max() - _rolling(f["low"], d).min() + 1e-12)
    ),
    "IMAX": lambda f, d: _position(f["high"], d, np.argmax) / d,
    "IMIN": lambda f, d: _position(f["low"], d, np.argmin) / d,
    "IMXD": lambda f, d: (_position(f["high"], d, np.argmax) - _position(f["low"], d, np.argmin)) / d,
    "CORR": lambda f, d: _rolling(f["close"], d).corr(np.log(f["volume"] + 1)),
    "CORD": _cord,
    "CNTP": lambda f, d: _cnt(f, d, up=True),
    "CNTN": lambda f, d: _cnt(f, d, up=False),
    "CNTD": lambda f, d: _cnt(f, d, up=True) - _cnt(f, d, up=False),
    "SUMP": lambda f, d: (lambda u, n, m: u / m)(*_up_down_move(f["close"], d)),
    "SUMN": lambda f, d: (lambda u, n, m: n / m)(*_up_down_move(f["close"], d)),
    "SUMD": lambda f, d: (lambda u, n, m: (u - n) / m)(*_up_down_move(f["close"], d)),
    "VMA": lambda f, d: _rolling(f["volume"], d).mean() / (f["volume"] + 1e-12),
    "VSTD": lambda f, d: _rolling(f["volume"], d).std() / (f["volume"] + 1e-12),
    "WVMA": _wvma,
    "VSUMP": lambda f, d: (lambda u, n, m: u / m)(*_up_down_move(f["volume"], d)),
    "VSUMN": lambda f, d: (lambda u, n, m: n / m)(*_up_down_move(f["volume"], d)),
    "VSUMD": lambda f, d: (lambda u, n, m: (u - n) / m)(*_up_down_move(f["volume"], d)),
}


def _kbar(f: Fields) -> dict[str, pd.DataFrame]:
    o, h, lo, c = f["open"], f["high"], f["low"], f["close"]
    body_top, body_bottom = np.maximum(o, c), np.minimum(o, c)
    span = h - lo + 1e-12
    return {
        "KMID": (c - o) / o,
        "KLEN": (h - lo) / o,
        "KMID2": (c - o) / span,
        "KUP": (h - body_top) / o,
        "KUP2": (h - body_top) / span,
        "KLOW": (body_bottom - lo) / o,
        "KLOW2": (body_bottom - lo) / span,
        "KSFT": (2 * c - h - lo) / o,
        "KSFT2": (2 * c - h - lo) / span,
    }


def reference(name: str, f: Fields) -> pd.DataFrame:
    """The pandas value of Alpha158 feature `name` (e.g. "KUP2", "VWAP0", "CORD20"), ±inf as NaN."""
    if name.startswith("K"):
        value = _kbar(f)[name]
    elif name.endswith("0") and name[:-1].lower() in ("open", "high", "low", "vwap"):
        value = f[name[:-1].lower()] / f["close"]
    else:
        prefix = name.rstrip("0123456789")
        value = ROLLING[prefix](f, int(name[len(prefix) :]))
    return value.replace([np.inf, -np.inf], np.nan)
