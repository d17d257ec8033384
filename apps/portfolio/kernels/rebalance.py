"""Target weights to whole-lot orders (numpy only).

Rounding: each target position is rounded toward zero to whole lots (a long target never buys
more than its weight of the investable value, a short target never sells short more), so with
long weights summing to at most 1 the buys are paid for by the cash and the sells. If shorts or a
position held off its lot grid leave the cash below the buffer anyway, buys are cut a lot at a
time, largest buy first, until it is not: cash is never spent below the buffer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Rebalance:
    target_quantity: np.ndarray  # (N,) whole lots
    trade: np.ndarray  # (N,) target - current, + buy, - sell
    cash_after: float
    nav: float
    cut_lots: int  # lots removed from buys to keep the cash at or above the buffer


def rebalance(
    weights: np.ndarray,
    current: np.ndarray,
    prices: np.ndarray,
    lots: np.ndarray,
    cash: float,
    *,
    cash_buffer: float = 0.0,
) -> Rebalance:
    """`weights`, `current` quantities, `prices` in the portfolio's currency and `lots` are (N,);
    `cash_buffer` is the fraction of the NAV to keep in cash."""
    w, q, p, lot = (np.asarray(a, dtype=float) for a in (weights, current, prices, lots))
    nav = cash + float(q @ p)
    investable = nav * (1.0 - cash_buffer)
    target = np.trunc(w * investable / (p * lot)) * lot
    trade = target - q
    cash_after = cash - float(trade @ p)
    floor = cash_buffer * nav
    cut = 0
    while cash_after < floor - 1e-9:
        buys = np.flatnonzero(trade > 0)
        if buys.size == 0:
            break  # only sells are left: nothing to cut (the book refuses a sale it cannot do)
        i = buys[np.argmax(trade[buys] * p[buys])]
        step = min(lot[i], trade[i])
        trade[i] -= step
        target[i] -= step
        cash_after += step * p[i]
        cut += 1
    return Rebalance(target, trade, cash_after, nav, cut)
