"""The generated factor catalogue: 380,000+ definitions made from operator templates x parameters
x fields, enumerated on demand rather than stored.

Every entry has a number (0 .. GENERATED_COUNT - 1), a name that says what it is
(`gen.ts_mean.close.w20.rank`) and a formula of the expression language; `generated(i)` builds entry
i in microseconds and `generated_named(name)` parses a name back, so a catalogue of this size costs
no rows: a user who finds a generated factor worth keeping saves it as a definition like any other.

Families (sizes in FAMILY_SIZES):
- unary: a time-series operator over one input and one window;
- pair: a rolling correlation / covariance / ratio of means / ratio of deviations between two
  inputs over one window;
- cross: the ratio of one statistic over a short and a long window of one input (a "crossover");
- econ: an instrument's rolling correlation of its daily return with an economic series' level,
  change or percent change (ECONOMIC: common FRED codes; a series the database does not hold is
  reported as such when evaluated);
each wrapped in one of NORMALIZATIONS (raw, divided by the close, cross-sectional rank or z-score,
time-series z-score over the same window). Inputs are bar fields and a few derived series (returns,
log volume, range, body). Windows are the same ladder for every template.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import combinations

INPUTS = {
    "open": "$open",
    "high": "$high",
    "low": "$low",
    "close": "$close",
    "volume": "$volume",
    "vwap": "$vwap",
    "ret": "($close/delay($close,1)-1)",
    "logvol": "log($volume+1)",
    "range": "(($high-$low)/$close)",
    "body": "(($close-$open)/$open)",
    "upper": "(($high-greater($open,$close))/$close)",
    "lower": "((less($open,$close)-$low)/$close)",
    "amount": "($close*$volume)",
    "ret5": "($close/delay($close,5)-1)",
    "gap": "($open/delay($close,1)-1)",
    "mid": "(($high+$low)/2)",
}
UNARY = (
    "ts_mean", "ts_std", "ts_var", "ts_skew", "ts_kurt", "ts_max", "ts_min", "ts_median", "ts_mad",
    "ts_rank", "ts_argmax", "ts_argmin", "ts_slope", "ts_rsquare", "ts_resi", "wma", "ts_sum",
    "delta", "delay", "ema",
)  # fmt: skip
PAIR = ("ts_corr", "ts_cov", "mean_ratio", "std_ratio")
CROSS = ("mean", "std", "max", "min")
# Economic series (FRED codes, loaded through marketdata's series adapters): each instrument's
# sensitivity to a transform of the series, the rolling correlation of its daily return with it.
ECONOMIC = (
    "DGS10", "DGS2", "DGS3MO", "T10Y2Y", "T10Y3M", "FEDFUNDS", "BAMLH0A0HYM2", "BAMLC0A0CM", "VIXCLS",
    "DTWEXBGS", "DCOILWTICO", "UNRATE", "CPIAUCSL", "INDPRO", "PAYEMS", "UMCSENT", "HOUST", "M2SL",
    "T5YIE", "NFCI",
)  # fmt: skip
ECONOMIC_TRANSFORMS = {
    "level": "$econ.{code}",
    "chg": "delta($econ.{code},1)",
    "pct": "($econ.{code}/delay($econ.{code},1)-1)",
}
WINDOWS = (
    3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 26, 28, 30, 33, 36, 40, 44, 48,
    52, 56, 60, 66, 72, 80, 90, 100, 110, 120, 130, 140, 150, 160, 180, 200, 220, 240, 250,
)  # fmt: skip
CROSS_WINDOWS = WINDOWS[:36]
NORMALIZATIONS = ("raw", "by_close", "rank", "zscore", "ts_z")

_INPUT_NAMES = tuple(INPUTS)
_PAIRS = tuple(combinations(_INPUT_NAMES, 2))
_CROSSES = tuple(combinations(CROSS_WINDOWS, 2))
FAMILY_SIZES = {
    "unary": len(UNARY) * len(_INPUT_NAMES) * len(WINDOWS) * len(NORMALIZATIONS),
    "pair": len(PAIR) * len(_PAIRS) * len(WINDOWS) * len(NORMALIZATIONS),
    "cross": len(CROSS) * len(_INPUT_NAMES) * len(_CROSSES) * len(NORMALIZATIONS),
    "econ": len(ECONOMIC) * len(ECONOMIC_TRANSFORMS) * len(WINDOWS) * len(NORMALIZATIONS),
}
_TRANSFORMS = tuple(ECONOMIC_TRANSFORMS)
GENERATED_COUNT = sum(FAMILY_SIZES.values())
_FAMILIES = tuple(FAMILY_SIZES)
_FAMILY_STARTS = tuple(sum(list(FAMILY_SIZES.values())[:k]) for k in range(len(FAMILY_SIZES)))


@dataclass(frozen=True)
class Generated:
    index: int
    name: str
    formula: str
    family: str


def _normalized(inner: str, how: str, window: int) -> str:
    if how == "raw":
        return inner
    if how == "by_close":
        return f"{inner}/$close"
    if how == "rank":
        return f"cs_rank({inner})"
    if how == "zscore":
        return f"cs_zscore({inner})"
    return f"(({inner})-ts_mean({inner},{window}))/ts_std({inner},{window})"  # ts_z


def _unary(op: str, x: str, w: int) -> str:
    if op == "ema":
        return f"ema({x},{w})"
    return f"{op}({x},{w})"


def _split(index: int, sizes: tuple[int, ...]) -> list[int]:
    """Mixed-radix digits of `index` over `sizes` (most significant first)."""
    digits = []
    for size in reversed(sizes):
        index, d = divmod(index, size)
        digits.append(d)
    return digits[::-1]


def generated(index: int) -> Generated:
    """Entry `index` of the catalogue; IndexError outside 0 .. GENERATED_COUNT - 1."""
    if not 0 <= index < GENERATED_COUNT:
        raise IndexError(f"generated factors are numbered 0 to {GENERATED_COUNT - 1}, not {index}")
    k = bisect_right(_FAMILY_STARTS, index) - 1
    family, offset = _FAMILIES[k], index - _FAMILY_STARTS[k]
    if family == "unary":
        o, i, w, n = _split(offset, (len(UNARY), len(_INPUT_NAMES), len(WINDOWS), len(NORMALIZATIONS)))
        op, field, window, how = UNARY[o], _INPUT_NAMES[i], WINDOWS[w], NORMALIZATIONS[n]
        inner = _unary(op, INPUTS[field], window)
        name = f"gen.{op}.{field}.w{window}.{how}"
    elif family == "pair":
        o, p, w, n = _split(offset, (len(PAIR), len(_PAIRS), len(WINDOWS), len(NORMALIZATIONS)))
        op, (a, b), window, how = PAIR[o], _PAIRS[p], WINDOWS[w], NORMALIZATIONS[n]
        if op in ("mean_ratio", "std_ratio"):
            stat = op.removesuffix("_ratio")
            inner = f"ts_{stat}({INPUTS[a]},{window})/ts_{stat}({INPUTS[b]},{window})"
        else:
            inner = f"{op}({INPUTS[a]},{INPUTS[b]},{window})"
        name = f"gen.{op}.{a}.{b}.w{window}.{how}"
    elif family == "econ":
        c, f, w, n = _split(offset, (len(ECONOMIC), len(_TRANSFORMS), len(WINDOWS), len(NORMALIZATIONS)))
        code, transform, window, how = ECONOMIC[c], _TRANSFORMS[f], WINDOWS[w], NORMALIZATIONS[n]
        series = ECONOMIC_TRANSFORMS[transform].format(code=code)
        inner = f"ts_corr({INPUTS['ret']},{series},{window})"
        name = f"gen.econ_corr.{code}.{transform}.w{window}.{how}"
    else:
        o, i, c, n = _split(offset, (len(CROSS), len(_INPUT_NAMES), len(_CROSSES), len(NORMALIZATIONS)))
        stat, field, (short, long), how = CROSS[o], _INPUT_NAMES[i], _CROSSES[c], NORMALIZATIONS[n]
        x = INPUTS[field]
        inner = f"(ts_{stat}({x},{short})/ts_{stat}({x},{long})-1)"
        window = long
        name = f"gen.cross_{stat}.{field}.w{short}.w{long}.{how}"
    return Generated(index=index, name=name, formula=_normalized(inner, how, window), family=family)


def generated_named(name: str) -> Generated:
    """The entry called `name` (as `generated(i).name` spells it); KeyError for any other name."""
    parts = name.split(".")
    try:
        if parts[0] != "gen" or parts[-1] not in NORMALIZATIONS:
            raise ValueError
        n = NORMALIZATIONS.index(parts[-1])
        head = parts[1]
        if head == "econ_corr":
            _, code, transform, window, _ = parts[1:]
            digits = (ECONOMIC.index(code), _TRANSFORMS.index(transform), WINDOWS.index(int(window[1:])), n)
            sizes = (len(ECONOMIC), len(_TRANSFORMS), len(WINDOWS), len(NORMALIZATIONS))
            base = FAMILY_SIZES["unary"] + FAMILY_SIZES["pair"] + FAMILY_SIZES["cross"]
        elif head.startswith("cross_"):
            _, field, short, long, _ = parts[1:]
            digits = (
                CROSS.index(head.removeprefix("cross_")),
                _INPUT_NAMES.index(field),
                _CROSSES.index((int(short[1:]), int(long[1:]))),
                n,
            )
            sizes = (len(CROSS), len(_INPUT_NAMES), len(_CROSSES), len(NORMALIZATIONS))
            base = FAMILY_SIZES["unary"] + FAMILY_SIZES["pair"]
        elif head in PAIR:
            _, a, b, window, _ = parts[1:]
            digits = (PAIR.index(head), _PAIRS.index((a, b)), WINDOWS.index(int(window[1:])), n)
            sizes = (len(PAIR), len(_PAIRS), len(WINDOWS), len(NORMALIZATIONS))
            base = FAMILY_SIZES["unary"]
        else:
            _, field, window, _ = parts[1:]
            digits = (UNARY.index(head), _INPUT_NAMES.index(field), WINDOWS.index(int(window[1:])), n)
            sizes = (len(UNARY), len(_INPUT_NAMES), len(WINDOWS), len(NORMALIZATIONS))
            base = 0
    except (ValueError, IndexError):
        raise KeyError(name) from None
    index = 0
    for digit, size in zip(digits, sizes, strict=True):
        index = index * size + digit
    found = generated(base + index)
    if found.name != name:  # e.g. a window written w020
        raise KeyError(name)
    return found
