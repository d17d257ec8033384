"""The 101 Formulaic Alphas (Z. Kakushadze, "101 Formulaic Alphas", Wilmott 2016, arXiv:1601.00991)
as formulas of our expression language.

The paper's text was read from the docstrings of `ta_cn/alphas/alpha101.py` in the public repository
wukan1986/ta_cn, which quote each alpha as printed in the paper's appendix.

Translation (the paper's function -> ours):
- rank -> cs_rank (percentile rank in (0, 1], ties averaged), ts_rank -> ts_rank (the same within
  the window), delay -> delay, delta -> delta, correlation -> ts_corr, covariance -> ts_cov,
  stddev -> ts_std (ddof=1), sum(x, d) -> ts_sum, product -> ts_product, scale -> cs_scale,
  signedpower -> signed_power, decay_linear -> wma (weights 1..d, newest heaviest),
  IndNeutralize(x, IndClass.level) -> cs_neutralize(x, $level) with $sector / $industry /
  $subindustry integer labels, ts_min / ts_max / ts_argmax / ts_argmin keep their names
  (ts_argmax is the 1-based position in the window, oldest = 1, first occurrence on ties).
- min(x, d) / max(x, d) with a number d -> ts_min / ts_max (only alpha 29's `min(.., 5)`);
  min(a, b) / max(a, b) of two series -> less / greater (alphas 71, 73, 76, 77, 82, 87, 88, 92, 96).
- returns -> `($close/delay($close, 1) - 1)`; adv{d} -> `ts_mean($volume*$vwap, d)` (average daily
  dollar volume over d days); cap -> the field $cap (market capitalization, alpha 56 only).
- `x^y` is power, `a ? b : c` the ternary, `<`/`==`/`||` give 1.0 / 0.0 (NaN where an input is NaN).
- Non-integer windows (`ts_min($vwap, 16.1219)`) keep the paper's numbers: the language floors them.
- Alpha 84's SignedPower takes a series as its exponent (`delta(close, 4.96796)`), and our
  signed_power only a number: it is written out as `sign(x) * (abs(x) ^ e)`.

Formulas below are written with two macros, expanded at import: `returns` and `adv{d}`.

Where our semantics make a value differ from a loose reading of the paper:
- Full windows: NaN until the window is full and while it holds a NaN; the longest alphas
  (19, 32, 39, 48, 52) need ~250 rows before their first value.
- A correlation over a window where either input is constant is NaN (not 0), and the NaN then
  empties every full window downstream. Correlations of slowly moving ranks (rank of a price
  level, ts_rank of a smooth adv) hit this often: alphas 15, 27, 50, 68, 75, 78, 81, 92 are NaN
  on a sizeable share of rows, and 96 and 97 (a short correlation of ts_rank(adv60, ..) under
  three more full windows) on most of them.
- adv{d} is dollar volume, so `adv20 < volume` (alpha 7) and `volume / adv20 >= 1` (alpha 21)
  compare dollars with shares: at prices above ~1 they are never true and those alphas take a
  constant branch. Implementations that read adv as share volume get the other branches.
"""

from __future__ import annotations

import re

from .fields import fields_of

RETURNS = "($close/delay($close, 1) - 1)"


def adv(days: int) -> str:
    """Average daily dollar volume over `days` rows (the paper's adv{d})."""
    return f"ts_mean($volume*$vwap, {days})"


_A = {
    1: "cs_rank(ts_argmax(signed_power(((returns < 0) ? ts_std(returns, 20) : $close), 2), 5)) - 0.5",
    2: "-1 * ts_corr(cs_rank(delta(log($volume), 2)), cs_rank(($close - $open) / $open), 6)",
    3: "-1 * ts_corr(cs_rank($open), cs_rank($volume), 10)",
    4: "-1 * ts_rank(cs_rank($low), 9)",
    5: "cs_rank($open - (ts_sum($vwap, 10) / 10)) * (-1 * abs(cs_rank($close - $vwap)))",
    6: "-1 * ts_corr($open, $volume, 10)",
    7: "(adv20 < $volume) ? ((-1 * ts_rank(abs(delta($close, 7)), 60)) * sign(delta($close, 7))) : (-1 * 1)",
    8: "-1 * cs_rank((ts_sum($open, 5) * ts_sum(returns, 5))"
    " - delay(ts_sum($open, 5) * ts_sum(returns, 5), 10))",
    9: "(0 < ts_min(delta($close, 1), 5)) ? delta($close, 1)"
    " : ((ts_max(delta($close, 1), 5) < 0) ? delta($close, 1) : (-1 * delta($close, 1)))",
    10: "cs_rank((0 < ts_min(delta($close, 1), 4)) ? delta($close, 1)"
    " : ((ts_max(delta($close, 1), 4) < 0) ? delta($close, 1) : (-1 * delta($close, 1))))",
    11: "(cs_rank(ts_max($vwap - $close, 3)) + cs_rank(ts_min($vwap - $close, 3))) * cs_rank(delta($volume, 3))",
    12: "sign(delta($volume, 1)) * (-1 * delta($close, 1))",
    13: "-1 * cs_rank(ts_cov(cs_rank($close), cs_rank($volume), 5))",
    14: "(-1 * cs_rank(delta(returns, 3))) * ts_corr($open, $volume, 10)",
    15: "-1 * ts_sum(cs_rank(ts_corr(cs_rank($high), cs_rank($volume), 3)), 3)",
    16: "-1 * cs_rank(ts_cov(cs_rank($high), cs_rank($volume), 5))",
    17: "((-1 * cs_rank(ts_rank($close, 10))) * cs_rank(delta(delta($close, 1), 1)))"
    " * cs_rank(ts_rank($volume / adv20, 5))",
    18: "-1 * cs_rank((ts_std(abs($close - $open), 5) + ($close - $open)) + ts_corr($close, $open, 10))",
    19: "(-1 * sign(($close - delay($close, 7)) + delta($close, 7))) * (1 + cs_rank(1 + ts_sum(returns, 250)))",
    20: "((-1 * cs_rank($open - delay($high, 1))) * cs_rank($open - delay($close, 1)))"
    " * cs_rank($open - delay($low, 1))",
    21: "(((ts_sum($close, 8) / 8) + ts_std($close, 8)) < (ts_sum($close, 2) / 2)) ? (-1 * 1)"
    " : (((ts_sum($close, 2) / 2) < ((ts_sum($close, 8) / 8) - ts_std($close, 8))) ? 1"
    " : (((1 < ($volume / adv20)) || (($volume / adv20) == 1)) ? 1 : (-1 * 1)))",
    22: "-1 * (delta(ts_corr($high, $volume, 5), 5) * cs_rank(ts_std($close, 20)))",
    23: "((ts_sum($high, 20) / 20) < $high) ? (-1 * delta($high, 2)) : 0",
    24: "(((delta(ts_sum($close, 100) / 100, 100) / delay($close, 100)) < 0.05)"
    " || ((delta(ts_sum($close, 100) / 100, 100) / delay($close, 100)) == 0.05))"
    " ? (-1 * ($close - ts_min($close, 100))) : (-1 * delta($close, 3))",
    25: "cs_rank((((-1 * returns) * adv20) * $vwap) * ($high - $close))",
    26: "-1 * ts_max(ts_corr(ts_rank($volume, 5), ts_rank($high, 5), 5), 3)",
    27: "(0.5 < cs_rank(ts_sum(ts_corr(cs_rank($volume), cs_rank($vwap), 6), 2) / 2.0)) ? (-1 * 1) : 1",
    28: "cs_scale((ts_corr(adv20, $low, 5) + (($high + $low) / 2)) - $close)",
    29: "ts_min(ts_product(cs_rank(cs_rank(cs_scale(log(ts_sum(ts_min(cs_rank(cs_rank(-1"
    " * cs_rank(delta($close - 1, 5)))), 2), 1))))), 1), 5) + ts_rank(delay(-1 * returns, 6), 5)",
    30: "((1.0 - cs_rank((sign($close - delay($close, 1)) + sign(delay($close, 1) - delay($close, 2)))"
    " + sign(delay($close, 2) - delay($close, 3)))) * ts_sum($volume, 5)) / ts_sum($volume, 20)",
    31: "(cs_rank(cs_rank(cs_rank(wma(-1 * cs_rank(cs_rank(delta($close, 10))), 10))))"
    " + cs_rank(-1 * delta($close, 3))) + sign(cs_scale(ts_corr(adv20, $low, 12)))",
    32: "cs_scale((ts_sum($close, 7) / 7) - $close) + (20 * cs_scale(ts_corr($vwap, delay($close, 5), 230)))",
    33: "cs_rank(-1 * ((1 - ($open / $close)) ^ 1))",
    34: "cs_rank((1 - cs_rank(ts_std(returns, 2) / ts_std(returns, 5))) + (1 - cs_rank(delta($close, 1))))",
    35: "(ts_rank($volume, 32) * (1 - ts_rank(($close + $high) - $low, 16))) * (1 - ts_rank(returns, 32))",
    36: "((((2.21 * cs_rank(ts_corr($close - $open, delay($volume, 1), 15)))"
    " + (0.7 * cs_rank($open - $close))) + (0.73 * cs_rank(ts_rank(delay(-1 * returns, 6), 5))))"
    " + cs_rank(abs(ts_corr($vwap, adv20, 6))))"
    " + (0.6 * cs_rank(((ts_sum($close, 200) / 200) - $open) * ($close - $open)))",
    37: "cs_rank(ts_corr(delay($open - $close, 1), $close, 200)) + cs_rank($open - $close)",
    38: "(-1 * cs_rank(ts_rank($close, 10))) * cs_rank($close / $open)",
    39: "(-1 * cs_rank(delta($close, 7) * (1 - cs_rank(wma($volume / adv20, 9)))))"
    " * (1 + cs_rank(ts_sum(returns, 250)))",
    40: "(-1 * cs_rank(ts_std($high, 10))) * ts_corr($high, $volume, 10)",
    41: "(($high * $low) ^ 0.5) - $vwap",
    42: "cs_rank($vwap - $close) / cs_rank($vwap + $close)",
    43: "ts_rank($volume / adv20, 20) * ts_rank(-1 * delta($close, 7), 8)",
    44: "-1 * ts_corr($high, cs_rank($volume), 5)",
    45: "-1 * ((cs_rank(ts_sum(delay($close, 5), 20) / 20) * ts_corr($close, $volume, 2))"
    " * cs_rank(ts_corr(ts_sum($close, 5), ts_sum($close, 20), 2)))",
    46: "(0.25 < (((delay($close, 20) - delay($close, 10)) / 10) - ((delay($close, 10) - $close) / 10)))"
    " ? (-1 * 1) : (((((delay($close, 20) - delay($close, 10)) / 10)"
    " - ((delay($close, 10) - $close) / 10)) < 0) ? 1 : ((-1 * 1) * ($close - delay($close, 1))))",
    47: "(((cs_rank(1 / $close) * $volume) / adv20) * (($high * cs_rank($high - $close))"
    " / (ts_sum($high, 5) / 5))) - cs_rank($vwap - delay($vwap, 5))",
    48: "cs_neutralize((ts_corr(delta($close, 1), delta(delay($close, 1), 1), 250) * delta($close, 1))"
    " / $close, $subindustry) / ts_sum((delta($close, 1) / delay($close, 1)) ^ 2, 250)",
    49: "((((delay($close, 20) - delay($close, 10)) / 10) - ((delay($close, 10) - $close) / 10))"
    " < (-1 * 0.1)) ? 1 : ((-1 * 1) * ($close - delay($close, 1)))",
    50: "-1 * ts_max(cs_rank(ts_corr(cs_rank($volume), cs_rank($vwap), 5)), 5)",
    51: "((((delay($close, 20) - delay($close, 10)) / 10) - ((delay($close, 10) - $close) / 10))"
    " < (-1 * 0.05)) ? 1 : ((-1 * 1) * ($close - delay($close, 1)))",
    52: "(((-1 * ts_min($low, 5)) + delay(ts_min($low, 5), 5))"
    " * cs_rank((ts_sum(returns, 240) - ts_sum(returns, 20)) / 220)) * ts_rank($volume, 5)",
    53: "-1 * delta((($close - $low) - ($high - $close)) / ($close - $low), 9)",
    54: "(-1 * (($low - $close) * ($open ^ 5))) / (($low - $high) * ($close ^ 5))",
    55: "-1 * ts_corr(cs_rank(($close - ts_min($low, 12)) / (ts_max($high, 12) - ts_min($low, 12))),"
    " cs_rank($volume), 6)",
    56: "0 - (1 * (cs_rank(ts_sum(returns, 10) / ts_sum(ts_sum(returns, 2), 3)) * cs_rank(returns * $cap)))",
    57: "0 - (1 * (($close - $vwap) / wma(cs_rank(ts_argmax($close, 30)), 2)))",
    58: "-1 * ts_rank(wma(ts_corr(cs_neutralize($vwap, $sector), $volume, 3.92795), 7.89291), 5.50322)",
    59: "-1 * ts_rank(wma(ts_corr(cs_neutralize(($vwap * 0.728317) + ($vwap * (1 - 0.728317)), $industry),"
    " $volume, 4.25197), 16.2289), 8.19648)",
    60: "0 - (1 * ((2 * cs_scale(cs_rank(((($close - $low) - ($high - $close)) / ($high - $low)) * $volume)))"
    " - cs_scale(cs_rank(ts_argmax($close, 10)))))",
    61: "cs_rank($vwap - ts_min($vwap, 16.1219)) < cs_rank(ts_corr($vwap, adv180, 17.9282))",
    62: "(cs_rank(ts_corr($vwap, ts_sum(adv20, 22.4101), 9.91009))"
    " < cs_rank((cs_rank($open) + cs_rank($open)) < (cs_rank(($high + $low) / 2) + cs_rank($high)))) * -1",
    63: "(cs_rank(wma(delta(cs_neutralize($close, $industry), 2.25164), 8.22237))"
    " - cs_rank(wma(ts_corr(($vwap * 0.318108) + ($open * (1 - 0.318108)), ts_sum(adv180, 37.2467),"
    " 13.557), 12.2883))) * -1",
    64: "(cs_rank(ts_corr(ts_sum(($open * 0.178404) + ($low * (1 - 0.178404)), 12.7054),"
    " ts_sum(adv120, 12.7054), 16.6208))"
    " < cs_rank(delta(((($high + $low) / 2) * 0.178404) + ($vwap * (1 - 0.178404)), 3.69741))) * -1",
    65: "(cs_rank(ts_corr(($open * 0.00817205) + ($vwap * (1 - 0.00817205)), ts_sum(adv60, 8.6911), 6.40374))"
    " < cs_rank($open - ts_min($open, 13.635))) * -1",
    66: "(cs_rank(wma(delta($vwap, 3.51013), 7.23052)) + ts_rank(wma(((($low * 0.96633)"
    " + ($low * (1 - 0.96633))) - $vwap) / ($open - (($high + $low) / 2)), 11.4157), 6.72611)) * -1",
    67: "(cs_rank($high - ts_min($high, 2.14593)) ^ cs_rank(ts_corr(cs_neutralize($vwap, $sector),"
    " cs_neutralize(adv20, $subindustry), 6.02936))) * -1",
    68: "(ts_rank(ts_corr(cs_rank($high), cs_rank(adv15), 8.91644), 13.9333)"
    " < cs_rank(delta(($close * 0.518371) + ($low * (1 - 0.518371)), 1.06157))) * -1",
    69: "(cs_rank(ts_max(delta(cs_neutralize($vwap, $industry), 2.72412), 4.79344))"
    " ^ ts_rank(ts_corr(($close * 0.490655) + ($vwap * (1 - 0.490655)), adv20, 4.92416), 9.0615)) * -1",
    70: "(cs_rank(delta($vwap, 1.29456))"
    " ^ ts_rank(ts_corr(cs_neutralize($close, $industry), adv50, 17.8256), 17.9171)) * -1",
    71: "greater(ts_rank(wma(ts_corr(ts_rank($close, 3.43976), ts_rank(adv180, 12.0647), 18.0175), 4.20501),"
    " 15.6948), ts_rank(wma(cs_rank(($low + $open) - ($vwap + $vwap)) ^ 2, 16.4662), 4.4388))",
    72: "cs_rank(wma(ts_corr(($high + $low) / 2, adv40, 8.93345), 10.1519))"
    " / cs_rank(wma(ts_corr(ts_rank($vwap, 3.72469), ts_rank($volume, 18.5188), 6.86671), 2.95011))",
    73: "greater(cs_rank(wma(delta($vwap, 4.72775), 2.91864)), ts_rank(wma((delta(($open * 0.147155)"
    " + ($low * (1 - 0.147155)), 2.03608) / (($open * 0.147155) + ($low * (1 - 0.147155)))) * -1,"
    " 3.33829), 16.7411)) * -1",
    74: "(cs_rank(ts_corr($close, ts_sum(adv30, 37.4843), 15.1365))"
    " < cs_rank(ts_corr(cs_rank(($high * 0.0261661) + ($vwap * (1 - 0.0261661))), cs_rank($volume),"
    " 11.4791))) * -1",
    75: "cs_rank(ts_corr($vwap, $volume, 4.24304)) < cs_rank(ts_corr(cs_rank($low), cs_rank(adv50), 12.4413))",
    76: "greater(cs_rank(wma(delta($vwap, 1.24383), 11.8259)), ts_rank(wma(ts_rank(ts_corr(cs_neutralize($low,"
    " $sector), adv81, 8.14941), 19.569), 17.1543), 19.383)) * -1",
    77: "less(cs_rank(wma(((($high + $low) / 2) + $high) - ($vwap + $high), 20.0451)),"
    " cs_rank(wma(ts_corr(($high + $low) / 2, adv40, 3.1614), 5.64125)))",
    78: "cs_rank(ts_corr(ts_sum(($low * 0.352233) + ($vwap * (1 - 0.352233)), 19.7428), ts_sum(adv40, 19.7428),"
    " 6.83313)) ^ cs_rank(ts_corr(cs_rank($vwap), cs_rank($volume), 5.77492))",
    79: "cs_rank(delta(cs_neutralize(($close * 0.60733) + ($open * (1 - 0.60733)), $sector), 1.23438))"
    " < cs_rank(ts_corr(ts_rank($vwap, 3.60973), ts_rank(adv150, 9.18637), 14.6644))",
    80: "(cs_rank(sign(delta(cs_neutralize(($open * 0.868128) + ($high * (1 - 0.868128)), $industry),"
    " 4.04545))) ^ ts_rank(ts_corr($high, adv10, 5.11456), 5.53756)) * -1",
    81: "(cs_rank(log(ts_product(cs_rank(cs_rank(ts_corr($vwap, ts_sum(adv10, 49.6054), 8.47743)) ^ 4),"
    " 14.9655))) < cs_rank(ts_corr(cs_rank($vwap), cs_rank($volume), 5.07914))) * -1",
    82: "less(cs_rank(wma(delta($open, 1.46063), 14.8717)), ts_rank(wma(ts_corr(cs_neutralize($volume,"
    " $sector), ($open * 0.634196) + ($open * (1 - 0.634196)), 17.4842), 6.92131), 13.4283)) * -1",
    83: "(cs_rank(delay(($high - $low) / (ts_sum($close, 5) / 5), 2)) * cs_rank(cs_rank($volume)))"
    " / ((($high - $low) / (ts_sum($close, 5) / 5)) / ($vwap - $close))",
    84: "sign(ts_rank($vwap - ts_max($vwap, 15.3217), 20.7127))"
    " * (abs(ts_rank($vwap - ts_max($vwap, 15.3217), 20.7127)) ^ delta($close, 4.96796))",
    85: "cs_rank(ts_corr(($high * 0.876703) + ($close * (1 - 0.876703)), adv30, 9.61331))"
    " ^ cs_rank(ts_corr(ts_rank(($high + $low) / 2, 3.70596), ts_rank($volume, 10.1595), 7.11408))",
    86: "(ts_rank(ts_corr($close, ts_sum(adv20, 14.7444), 6.00049), 20.4195)"
    " < cs_rank(($open + $close) - ($vwap + $open))) * -1",
    87: "greater(cs_rank(wma(delta(($close * 0.369701) + ($vwap * (1 - 0.369701)), 1.91233), 2.65461)),"
    " ts_rank(wma(abs(ts_corr(cs_neutralize(adv81, $industry), $close, 13.4132)), 4.89768), 14.4535)) * -1",
    88: "less(cs_rank(wma((cs_rank($open) + cs_rank($low)) - (cs_rank($high) + cs_rank($close)), 8.06882)),"
    " ts_rank(wma(ts_corr(ts_rank($close, 8.44728), ts_rank(adv60, 20.6966), 8.01266), 6.65053), 2.61957))",
    89: "ts_rank(wma(ts_corr(($low * 0.967285) + ($low * (1 - 0.967285)), adv10, 6.94279), 5.51607), 3.79744)"
    " - ts_rank(wma(delta(cs_neutralize($vwap, $industry), 3.48158), 10.1466), 15.3012)",
    90: "(cs_rank($close - ts_max($close, 4.66719))"
    " ^ ts_rank(ts_corr(cs_neutralize(adv40, $subindustry), $low, 5.38375), 3.21856)) * -1",
    91: "(ts_rank(wma(wma(ts_corr(cs_neutralize($close, $industry), $volume, 9.74928), 16.398), 3.83219),"
    " 4.8667) - cs_rank(wma(ts_corr($vwap, adv30, 4.01303), 2.6809))) * -1",
    92: "less(ts_rank(wma(((($high + $low) / 2) + $close) < ($low + $open), 14.7221), 18.8683),"
    " ts_rank(wma(ts_corr(cs_rank($low), cs_rank(adv30), 7.58555), 6.94024), 6.80584))",
    93: "ts_rank(wma(ts_corr(cs_neutralize($vwap, $industry), adv81, 17.4193), 19.848), 7.54455)"
    " / cs_rank(wma(delta(($close * 0.524434) + ($vwap * (1 - 0.524434)), 2.77377), 16.2664))",
    94: "(cs_rank($vwap - ts_min($vwap, 11.5783)) ^ ts_rank(ts_corr(ts_rank($vwap, 19.6462),"
    " ts_rank(adv60, 4.02992), 18.0926), 2.70756)) * -1",
    95: "cs_rank($open - ts_min($open, 12.4105)) < ts_rank(cs_rank(ts_corr(ts_sum(($high + $low) / 2, 19.1351),"
    " ts_sum(adv40, 19.1351), 12.8742)) ^ 5, 11.7584)",
    96: "greater(ts_rank(wma(ts_corr(cs_rank($vwap), cs_rank($volume), 3.83878), 4.16783), 8.38151),"
    " ts_rank(wma(ts_argmax(ts_corr(ts_rank($close, 7.45404), ts_rank(adv60, 4.13242), 3.65459), 12.6556),"
    " 14.0365), 13.4143)) * -1",
    97: "(cs_rank(wma(delta(cs_neutralize(($low * 0.721001) + ($vwap * (1 - 0.721001)), $industry), 3.3705),"
    " 20.4523)) - ts_rank(wma(ts_rank(ts_corr(ts_rank($low, 7.87871), ts_rank(adv60, 17.255), 4.97547),"
    " 18.5925), 15.7152), 6.71659)) * -1",
    98: "cs_rank(wma(ts_corr($vwap, ts_sum(adv5, 26.4719), 4.58418), 7.18088))"
    " - cs_rank(wma(ts_rank(ts_argmin(ts_corr(cs_rank($open), cs_rank(adv15), 20.8187), 8.62571), 6.95668),"
    " 8.07206))",
    99: "(cs_rank(ts_corr(ts_sum(($high + $low) / 2, 19.8975), ts_sum(adv60, 19.8975), 8.8136))"
    " < cs_rank(ts_corr($low, $volume, 6.28259))) * -1",
    100: "0 - (1 * (((1.5 * cs_scale(cs_neutralize(cs_neutralize(cs_rank(((($close - $low) - ($high - $close))"
    " / ($high - $low)) * $volume), $subindustry), $subindustry)))"
    " - cs_scale(cs_neutralize(ts_corr($close, cs_rank(adv20), 5) - cs_rank(ts_argmin($close, 30)),"
    " $subindustry))) * ($volume / adv20)))",
    101: "($close - $open) / (($high - $low) + .001)",
}

_RETURNS_WORD = re.compile(r"\breturns\b")
_ADV_WORD = re.compile(r"\badv(\d+)\b")


def expand(text: str) -> str:
    """`text` with the paper's `returns` and `adv{d}` written out in the language."""
    text = _RETURNS_WORD.sub(lambda _: RETURNS, text)
    return _ADV_WORD.sub(lambda m: adv(int(m.group(1))), text)


ALPHA101: dict[str, str] = {f"alpha{number:03d}": expand(text) for number, text in sorted(_A.items())}
"""The 101 alphas: "alpha001".."alpha101" -> formula."""

ALPHA101_FIELDS: dict[str, dict[str, str]] = {name: fields_of(text) for name, text in ALPHA101.items()}
"""Each alpha's fields (name without `$` -> "series" or "group"): what to load to evaluate it."""
