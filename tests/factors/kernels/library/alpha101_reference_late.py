"""Alphas 52..101 of the pandas reference (see alpha101_reference for the conventions)."""

from __future__ import annotations

import numpy as np

from .pandas_ops import (
    correlation,
    decay_linear,
    delay,
    delta,
    greater,
    indneutralize,
    less,
    log,
    lt,
    power,
    product,
    rank,
    scale,
    ts_argmax,
    ts_argmin,
    ts_max,
    ts_min,
    ts_rank,
)
from .pandas_ops import ts_sum as sum_


def a052(m):
    r = m.returns
    bounce = -1 * ts_min(m.low, 5) + delay(ts_min(m.low, 5), 5)
    return bounce * rank((sum_(r, 240) - sum_(r, 20)) / 220) * ts_rank(m.volume, 5)


def a053(m):
    c, lo, hi = m.close, m.low, m.high
    return -1 * delta(((c - lo) - (hi - c)) / (c - lo), 9)


def a054(m):
    return (-1 * ((m.low - m.close) * power(m.open, 5))) / ((m.low - m.high) * power(m.close, 5))


def a055(m):
    position = (m.close - ts_min(m.low, 12)) / (ts_max(m.high, 12) - ts_min(m.low, 12))
    return -1 * correlation(rank(position), rank(m.volume), 6)


def a056(m):
    r = m.returns
    return 0 - 1 * (rank(sum_(r, 10) / sum_(sum_(r, 2), 3)) * rank(r * m.cap))


def a057(m):
    return 0 - 1 * ((m.close - m.vwap) / decay_linear(rank(ts_argmax(m.close, 30)), 2))


def a058(m):
    corr = correlation(indneutralize(m.vwap, m.sector), m.volume, 3.92795)
    return -1 * ts_rank(decay_linear(corr, 7.89291), 5.50322)


def a059(m):
    price = m.vwap * 0.728317 + m.vwap * (1 - 0.728317)
    corr = correlation(indneutralize(price, m.industry), m.volume, 4.25197)
    return -1 * ts_rank(decay_linear(corr, 16.2289), 8.19648)


def a060(m):
    pressure = rank(((m.close - m.low) - (m.high - m.close)) / (m.high - m.low) * m.volume)
    return 0 - 1 * (2 * scale(pressure) - scale(rank(ts_argmax(m.close, 10))))


def a061(m):
    return lt(rank(m.vwap - ts_min(m.vwap, 16.1219)), rank(correlation(m.vwap, m.adv(180), 17.9282)))


def a062(m):
    left = rank(correlation(m.vwap, sum_(m.adv(20), 22.4101), 9.91009))
    right = rank(lt(rank(m.open) + rank(m.open), rank((m.high + m.low) / 2) + rank(m.high)))
    return lt(left, right) * -1


def a063(m):
    first = rank(decay_linear(delta(indneutralize(m.close, m.industry), 2.25164), 8.22237))
    price = m.vwap * 0.318108 + m.open * (1 - 0.318108)
    second = rank(decay_linear(correlation(price, sum_(m.adv(180), 37.2467), 13.557), 12.2883))
    return (first - second) * -1


def a064(m):
    w = 0.178404
    left = correlation(sum_(m.open * w + m.low * (1 - w), 12.7054), sum_(m.adv(120), 12.7054), 16.6208)
    right = delta((m.high + m.low) / 2 * w + m.vwap * (1 - w), 3.69741)
    return lt(rank(left), rank(right)) * -1


def a065(m):
    w = 0.00817205
    left = correlation(m.open * w + m.vwap * (1 - w), sum_(m.adv(60), 8.6911), 6.40374)
    return lt(rank(left), rank(m.open - ts_min(m.open, 13.635))) * -1


def a066(m):
    first = rank(decay_linear(delta(m.vwap, 3.51013), 7.23052))
    ratio = ((m.low * 0.96633 + m.low * (1 - 0.96633)) - m.vwap) / (m.open - (m.high + m.low) / 2)
    return (first + ts_rank(decay_linear(ratio, 11.4157), 6.72611)) * -1


def a067(m):
    corr = correlation(indneutralize(m.vwap, m.sector), indneutralize(m.adv(20), m.subindustry), 6.02936)
    return power(rank(m.high - ts_min(m.high, 2.14593)), rank(corr)) * -1


def a068(m):
    left = ts_rank(correlation(rank(m.high), rank(m.adv(15)), 8.91644), 13.9333)
    right = rank(delta(m.close * 0.518371 + m.low * (1 - 0.518371), 1.06157))
    return lt(left, right) * -1


def a069(m):
    base = rank(ts_max(delta(indneutralize(m.vwap, m.industry), 2.72412), 4.79344))
    price = m.close * 0.490655 + m.vwap * (1 - 0.490655)
    return power(base, ts_rank(correlation(price, m.adv(20), 4.92416), 9.0615)) * -1


def a070(m):
    corr = correlation(indneutralize(m.close, m.industry), m.adv(50), 17.8256)
    return power(rank(delta(m.vwap, 1.29456)), ts_rank(corr, 17.9171)) * -1


def a071(m):
    corr = correlation(ts_rank(m.close, 3.43976), ts_rank(m.adv(180), 12.0647), 18.0175)
    first = ts_rank(decay_linear(corr, 4.20501), 15.6948)
    second = ts_rank(decay_linear(power(rank(m.low + m.open - (m.vwap + m.vwap)), 2), 16.4662), 4.4388)
    return greater(first, second)


def a072(m):
    top = rank(decay_linear(correlation((m.high + m.low) / 2, m.adv(40), 8.93345), 10.1519))
    corr = correlation(ts_rank(m.vwap, 3.72469), ts_rank(m.volume, 18.5188), 6.86671)
    return top / rank(decay_linear(corr, 2.95011))


def a073(m):
    first = rank(decay_linear(delta(m.vwap, 4.72775), 2.91864))
    price = m.open * 0.147155 + m.low * (1 - 0.147155)
    second = ts_rank(decay_linear((delta(price, 2.03608) / price) * -1, 3.33829), 16.7411)
    return greater(first, second) * -1


def a074(m):
    left = rank(correlation(m.close, sum_(m.adv(30), 37.4843), 15.1365))
    price = rank(m.high * 0.0261661 + m.vwap * (1 - 0.0261661))
    right = rank(correlation(price, rank(m.volume), 11.4791))
    return lt(left, right) * -1


def a075(m):
    return lt(
        rank(correlation(m.vwap, m.volume, 4.24304)), rank(correlation(rank(m.low), rank(m.adv(50)), 12.4413))
    )


def a076(m):
    first = rank(decay_linear(delta(m.vwap, 1.24383), 11.8259))
    corr = correlation(indneutralize(m.low, m.sector), m.adv(81), 8.14941)
    second = ts_rank(decay_linear(ts_rank(corr, 19.569), 17.1543), 19.383)
    return greater(first, second) * -1


def a077(m):
    mid = (m.high + m.low) / 2
    first = rank(decay_linear((mid + m.high) - (m.vwap + m.high), 20.0451))
    second = rank(decay_linear(correlation(mid, m.adv(40), 3.1614), 5.64125))
    return less(first, second)


def a078(m):
    price = m.low * 0.352233 + m.vwap * (1 - 0.352233)
    base = rank(correlation(sum_(price, 19.7428), sum_(m.adv(40), 19.7428), 6.83313))
    return power(base, rank(correlation(rank(m.vwap), rank(m.volume), 5.77492)))


def a079(m):
    price = m.close * 0.60733 + m.open * (1 - 0.60733)
    left = rank(delta(indneutralize(price, m.sector), 1.23438))
    right = rank(correlation(ts_rank(m.vwap, 3.60973), ts_rank(m.adv(150), 9.18637), 14.6644))
    return lt(left, right)


def a080(m):
    price = m.open * 0.868128 + m.high * (1 - 0.868128)
    base = rank(np.sign(delta(indneutralize(price, m.industry), 4.04545)))
    return power(base, ts_rank(correlation(m.high, m.adv(10), 5.11456), 5.53756)) * -1


def a081(m):
    corr = correlation(m.vwap, sum_(m.adv(10), 49.6054), 8.47743)
    left = rank(log(product(rank(power(rank(corr), 4)), 14.9655)))
    return lt(left, rank(correlation(rank(m.vwap), rank(m.volume), 5.07914))) * -1


def a082(m):
    first = rank(decay_linear(delta(m.open, 1.46063), 14.8717))
    price = m.open * 0.634196 + m.open * (1 - 0.634196)
    corr = correlation(indneutralize(m.volume, m.sector), price, 17.4842)
    return less(first, ts_rank(decay_linear(corr, 6.92131), 13.4283)) * -1


def a083(m):
    spread = (m.high - m.low) / (sum_(m.close, 5) / 5)
    return (rank(delay(spread, 2)) * rank(rank(m.volume))) / (spread / (m.vwap - m.close))


def a084(m):
    # SignedPower with a series exponent: sign(x) * |x| ^ e.
    x = ts_rank(m.vwap - ts_max(m.vwap, 15.3217), 20.7127)
    return np.sign(x) * power(x.abs(), delta(m.close, 4.96796))


def a085(m):
    base = rank(correlation(m.high * 0.876703 + m.close * (1 - 0.876703), m.adv(30), 9.61331))
    corr = correlation(ts_rank((m.high + m.low) / 2, 3.70596), ts_rank(m.volume, 10.1595), 7.11408)
    return power(base, rank(corr))


def a086(m):
    left = ts_rank(correlation(m.close, sum_(m.adv(20), 14.7444), 6.00049), 20.4195)
    return lt(left, rank((m.open + m.close) - (m.vwap + m.open))) * -1


def a087(m):
    price = m.close * 0.369701 + m.vwap * (1 - 0.369701)
    first = rank(decay_linear(delta(price, 1.91233), 2.65461))
    corr = correlation(indneutralize(m.adv(81), m.industry), m.close, 13.4132)
    return greater(first, ts_rank(decay_linear(corr.abs(), 4.89768), 14.4535)) * -1


def a088(m):
    first = rank(decay_linear((rank(m.open) + rank(m.low)) - (rank(m.high) + rank(m.close)), 8.06882))
    corr = correlation(ts_rank(m.close, 8.44728), ts_rank(m.adv(60), 20.6966), 8.01266)
    return less(first, ts_rank(decay_linear(corr, 6.65053), 2.61957))


def a089(m):
    price = m.low * 0.967285 + m.low * (1 - 0.967285)
    first = ts_rank(decay_linear(correlation(price, m.adv(10), 6.94279), 5.51607), 3.79744)
    second = ts_rank(decay_linear(delta(indneutralize(m.vwap, m.industry), 3.48158), 10.1466), 15.3012)
    return first - second


def a090(m):
    corr = correlation(indneutralize(m.adv(40), m.subindustry), m.low, 5.38375)
    return power(rank(m.close - ts_max(m.close, 4.66719)), ts_rank(corr, 3.21856)) * -1


def a091(m):
    corr = correlation(indneutralize(m.close, m.industry), m.volume, 9.74928)
    first = ts_rank(decay_linear(decay_linear(corr, 16.398), 3.83219), 4.8667)
    return (first - rank(decay_linear(correlation(m.vwap, m.adv(30), 4.01303), 2.6809))) * -1


def a092(m):
    below = lt((m.high + m.low) / 2 + m.close, m.low + m.open)
    first = ts_rank(decay_linear(below, 14.7221), 18.8683)
    corr = correlation(rank(m.low), rank(m.adv(30)), 7.58555)
    return less(first, ts_rank(decay_linear(corr, 6.94024), 6.80584))


def a093(m):
    corr = correlation(indneutralize(m.vwap, m.industry), m.adv(81), 17.4193)
    price = m.close * 0.524434 + m.vwap * (1 - 0.524434)
    return ts_rank(decay_linear(corr, 19.848), 7.54455) / rank(decay_linear(delta(price, 2.77377), 16.2664))


def a094(m):
    corr = correlation(ts_rank(m.vwap, 19.6462), ts_rank(m.adv(60), 4.02992), 18.0926)
    return power(rank(m.vwap - ts_min(m.vwap, 11.5783)), ts_rank(corr, 2.70756)) * -1


def a095(m):
    corr = correlation(sum_((m.high + m.low) / 2, 19.1351), sum_(m.adv(40), 19.1351), 12.8742)
    return lt(rank(m.open - ts_min(m.open, 12.4105)), ts_rank(power(rank(corr), 5), 11.7584))


def a096(m):
    first = ts_rank(decay_linear(correlation(rank(m.vwap), rank(m.volume), 3.83878), 4.16783), 8.38151)
    corr = correlation(ts_rank(m.close, 7.45404), ts_rank(m.adv(60), 4.13242), 3.65459)
    second = ts_rank(decay_linear(ts_argmax(corr, 12.6556), 14.0365), 13.4143)
    return greater(first, second) * -1


def a097(m):
    price = m.low * 0.721001 + m.vwap * (1 - 0.721001)
    first = rank(decay_linear(delta(indneutralize(price, m.industry), 3.3705), 20.4523))
    corr = correlation(ts_rank(m.low, 7.87871), ts_rank(m.adv(60), 17.255), 4.97547)
    second = ts_rank(decay_linear(ts_rank(corr, 18.5925), 15.7152), 6.71659)
    return (first - second) * -1


def a098(m):
    first = rank(decay_linear(correlation(m.vwap, sum_(m.adv(5), 26.4719), 4.58418), 7.18088))
    corr = correlation(rank(m.open), rank(m.adv(15)), 20.8187)
    return first - rank(decay_linear(ts_rank(ts_argmin(corr, 8.62571), 6.95668), 8.07206))


def a099(m):
    left = rank(correlation(sum_((m.high + m.low) / 2, 19.8975), sum_(m.adv(60), 19.8975), 8.8136))
    return lt(left, rank(correlation(m.low, m.volume, 6.28259))) * -1


def a100(m):
    pressure = rank(((m.close - m.low) - (m.high - m.close)) / (m.high - m.low) * m.volume)
    first = 1.5 * scale(indneutralize(indneutralize(pressure, m.subindustry), m.subindustry))
    second = correlation(m.close, rank(m.adv(20)), 5) - rank(ts_argmin(m.close, 30))
    return 0 - 1 * ((first - scale(indneutralize(second, m.subindustry))) * (m.volume / m.adv(20)))


def a101(m):
    return (m.close - m.open) / ((m.high - m.low) + 0.001)
