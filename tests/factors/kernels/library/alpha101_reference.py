"""The 101 Formulaic Alphas computed directly with pandas (the primitives of `pandas_ops`), one
function per alpha, transcribed from the paper's text (Kakushadze 2016, appendix A) independently
of the formulas in apps.factors.kernels.library.alpha101.

`m` is a Market: the fields as (T, N) DataFrames, `returns`, `adv(d)`, and the group labels as one
Series per level (a label per instrument column).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import alpha101_reference_late as late
from .pandas_ops import (
    correlation,
    covariance,
    decay_linear,
    delay,
    delta,
    either,
    eq,
    fin,
    indneutralize,
    log,
    lt,
    power,
    product,
    rank,
    scale,
    signedpower,
    stddev,
    ts_argmax,
    ts_max,
    ts_mean,
    ts_min,
    ts_rank,
    where,
)
from .pandas_ops import ts_sum as sum_


@dataclass(frozen=True)
class Market:
    open: pd.DataFrame
    high: pd.DataFrame
    low: pd.DataFrame
    close: pd.DataFrame
    volume: pd.DataFrame
    vwap: pd.DataFrame
    cap: pd.DataFrame
    sector: pd.Series
    industry: pd.Series
    subindustry: pd.Series

    @property
    def returns(self) -> pd.DataFrame:
        return self.close / self.close.shift(1) - 1

    def adv(self, d: int) -> pd.DataFrame:
        return ts_mean(self.volume * self.vwap, d)


def _sign(x: pd.DataFrame) -> pd.DataFrame:
    return np.sign(x)


def _abs(x: pd.DataFrame) -> pd.DataFrame:
    return x.abs()


def a001(m):
    r = m.returns
    inner = where(lt(r, 0), stddev(r, 20), m.close)
    return rank(ts_argmax(signedpower(inner, 2.0), 5)) - 0.5


def a002(m):
    return -1 * correlation(rank(delta(log(m.volume), 2)), rank((m.close - m.open) / m.open), 6)


def a003(m):
    return -1 * correlation(rank(m.open), rank(m.volume), 10)


def a004(m):
    return -1 * ts_rank(rank(m.low), 9)


def a005(m):
    return rank(m.open - sum_(m.vwap, 10) / 10) * (-1 * _abs(rank(m.close - m.vwap)))


def a006(m):
    return -1 * correlation(m.open, m.volume, 10)


def a007(m):
    move = delta(m.close, 7)
    return where(lt(m.adv(20), m.volume), (-1 * ts_rank(_abs(move), 60)) * _sign(move), -1.0)


def a008(m):
    x = sum_(m.open, 5) * sum_(m.returns, 5)
    return -1 * rank(x - delay(x, 10))


def _a009_010(m, d):
    move = delta(m.close, 1)
    return where(lt(0, ts_min(move, d)), move, where(lt(ts_max(move, d), 0), move, -1 * move))


def a009(m):
    return _a009_010(m, 5)


def a010(m):
    return rank(_a009_010(m, 4))


def a011(m):
    gap = m.vwap - m.close
    return (rank(ts_max(gap, 3)) + rank(ts_min(gap, 3))) * rank(delta(m.volume, 3))


def a012(m):
    return _sign(delta(m.volume, 1)) * (-1 * delta(m.close, 1))


def a013(m):
    return -1 * rank(covariance(rank(m.close), rank(m.volume), 5))


def a014(m):
    return (-1 * rank(delta(m.returns, 3))) * correlation(m.open, m.volume, 10)


def a015(m):
    return -1 * sum_(rank(correlation(rank(m.high), rank(m.volume), 3)), 3)


def a016(m):
    return -1 * rank(covariance(rank(m.high), rank(m.volume), 5))


def a017(m):
    first = -1 * rank(ts_rank(m.close, 10))
    return first * rank(delta(delta(m.close, 1), 1)) * rank(ts_rank(m.volume / m.adv(20), 5))


def a018(m):
    body = m.close - m.open
    return -1 * rank(stddev(_abs(body), 5) + body + correlation(m.close, m.open, 10))


def a019(m):
    trend = (m.close - delay(m.close, 7)) + delta(m.close, 7)
    return (-1 * _sign(trend)) * (1 + rank(1 + sum_(m.returns, 250)))


def a020(m):
    return (
        (-1 * rank(m.open - delay(m.high, 1)))
        * rank(m.open - delay(m.close, 1))
        * rank(m.open - delay(m.low, 1))
    )


def a021(m):
    mean8, mean2, std8 = sum_(m.close, 8) / 8, sum_(m.close, 2) / 2, stddev(m.close, 8)
    relative = m.volume / m.adv(20)
    volume_branch = where(either(lt(1, relative), eq(relative, 1)), 1.0, -1.0)
    return where(lt(mean8 + std8, mean2), -1.0, where(lt(mean2, mean8 - std8), 1.0, volume_branch))


def a022(m):
    return -1 * (delta(correlation(m.high, m.volume, 5), 5) * rank(stddev(m.close, 20)))


def a023(m):
    return where(lt(sum_(m.high, 20) / 20, m.high), -1 * delta(m.high, 2), 0.0)


def a024(m):
    change = delta(sum_(m.close, 100) / 100, 100) / delay(m.close, 100)
    cond = either(lt(change, 0.05), eq(change, 0.05))
    return where(cond, -1 * (m.close - ts_min(m.close, 100)), -1 * delta(m.close, 3))


def a025(m):
    return rank((-1 * m.returns) * m.adv(20) * m.vwap * (m.high - m.close))


def a026(m):
    return -1 * ts_max(correlation(ts_rank(m.volume, 5), ts_rank(m.high, 5), 5), 3)


def a027(m):
    return where(lt(0.5, rank(sum_(correlation(rank(m.volume), rank(m.vwap), 6), 2) / 2.0)), -1.0, 1.0)


def a028(m):
    return scale(correlation(m.adv(20), m.low, 5) + (m.high + m.low) / 2 - m.close)


def a029(m):
    inner = rank(rank(-1 * rank(delta(m.close - 1, 5))))
    x = rank(rank(scale(log(sum_(ts_min(inner, 2), 1)))))
    return ts_min(product(x, 1), 5) + ts_rank(delay(-1 * m.returns, 6), 5)


def a030(m):
    c = m.close
    signs = _sign(c - delay(c, 1)) + _sign(delay(c, 1) - delay(c, 2)) + _sign(delay(c, 2) - delay(c, 3))
    return ((1.0 - rank(signs)) * sum_(m.volume, 5)) / sum_(m.volume, 20)


def a031(m):
    first = rank(rank(rank(decay_linear(-1 * rank(rank(delta(m.close, 10))), 10))))
    return first + rank(-1 * delta(m.close, 3)) + _sign(scale(correlation(m.adv(20), m.low, 12)))


def a032(m):
    return scale(sum_(m.close, 7) / 7 - m.close) + 20 * scale(correlation(m.vwap, delay(m.close, 5), 230))


def a033(m):
    return rank(-1 * power(1 - m.open / m.close, 1))


def a034(m):
    r = m.returns
    return rank((1 - rank(stddev(r, 2) / stddev(r, 5))) + (1 - rank(delta(m.close, 1))))


def a035(m):
    return ts_rank(m.volume, 32) * (1 - ts_rank(m.close + m.high - m.low, 16)) * (1 - ts_rank(m.returns, 32))


def a036(m):
    return (
        2.21 * rank(correlation(m.close - m.open, delay(m.volume, 1), 15))
        + 0.7 * rank(m.open - m.close)
        + 0.73 * rank(ts_rank(delay(-1 * m.returns, 6), 5))
        + rank(_abs(correlation(m.vwap, m.adv(20), 6)))
        + 0.6 * rank((sum_(m.close, 200) / 200 - m.open) * (m.close - m.open))
    )


def a037(m):
    return rank(correlation(delay(m.open - m.close, 1), m.close, 200)) + rank(m.open - m.close)


def a038(m):
    return (-1 * rank(ts_rank(m.close, 10))) * rank(m.close / m.open)


def a039(m):
    inner = delta(m.close, 7) * (1 - rank(decay_linear(m.volume / m.adv(20), 9)))
    return (-1 * rank(inner)) * (1 + rank(sum_(m.returns, 250)))


def a040(m):
    return (-1 * rank(stddev(m.high, 10))) * correlation(m.high, m.volume, 10)


def a041(m):
    return power(m.high * m.low, 0.5) - m.vwap


def a042(m):
    return rank(m.vwap - m.close) / rank(m.vwap + m.close)


def a043(m):
    return ts_rank(m.volume / m.adv(20), 20) * ts_rank(-1 * delta(m.close, 7), 8)


def a044(m):
    return -1 * correlation(m.high, rank(m.volume), 5)


def a045(m):
    c = m.close
    first = rank(sum_(delay(c, 5), 20) / 20) * correlation(c, m.volume, 2)
    return -1 * (first * rank(correlation(sum_(c, 5), sum_(c, 20), 2)))


def _slope_change(c):
    return (delay(c, 20) - delay(c, 10)) / 10 - (delay(c, 10) - c) / 10


def a046(m):
    x = _slope_change(m.close)
    return where(lt(0.25, x), -1.0, where(lt(x, 0), 1.0, -1 * (m.close - delay(m.close, 1))))


def a047(m):
    left = (rank(1 / m.close) * m.volume / m.adv(20)) * (
        m.high * rank(m.high - m.close) / (sum_(m.high, 5) / 5)
    )
    return left - rank(m.vwap - delay(m.vwap, 5))


def a048(m):
    move = delta(m.close, 1)
    corr = correlation(move, delta(delay(m.close, 1), 1), 250)
    neutral = indneutralize(corr * move / m.close, m.subindustry)
    return neutral / sum_(power(move / delay(m.close, 1), 2), 250)


def a049(m):
    return where(lt(_slope_change(m.close), -0.1), 1.0, -1 * (m.close - delay(m.close, 1)))


def a050(m):
    return -1 * ts_max(rank(correlation(rank(m.volume), rank(m.vwap), 5)), 5)


def a051(m):
    return where(lt(_slope_change(m.close), -0.05), 1.0, -1 * (m.close - delay(m.close, 1)))


def _alphas(namespace: dict) -> dict[str, object]:
    return {
        f"alpha{key[1:]}": value for key, value in namespace.items() if key[:1] == "a" and key[1:].isdigit()
    }


REFERENCE = dict(sorted({**_alphas(globals()), **_alphas(vars(late))}.items()))
"""alpha name ("alpha001") -> function(Market) -> DataFrame."""


def reference(name: str, m: Market) -> pd.DataFrame:
    """The pandas value of alpha `name` on `m`, ±inf as NaN (as our operators give)."""
    return fin(REFERENCE[name](m))
