"""Qlib's Alpha158 feature set as formulas of our expression language, in Qlib's order.

Source: microsoft/qlib, `qlib/contrib/data/loader.py`, `Alpha158DL.get_feature_config` with its
default config (kbar; price windows [0] of OPEN HIGH LOW VWAP; rolling windows [5, 10, 20, 30, 60]
with every rolling operator): 9 + 4 + 29 x 5 = 158 features. Names and formula texts are Qlib's,
character for character: our parser reads Qlib's spellings (`Ref`, `Mean`, `Std`, `Slope`,
`Rsquare`, `Resi`, `Max`, `Min`, `Quantile`, `Rank`, `IdxMax`, `IdxMin`, `Corr`, `Log`, `Abs`,
`Greater`, `Less`, `Sum`, infix `>`/`<`) and the 1e-12 guards stay. Note that Qlib builds MIN from
its "LOW" switch (`use("LOW")`); with the default config that changes nothing.

Where our operators mean something different from Qlib's, the formula text is the same and the
values differ as follows (see the operator docs for the exact semantics):
- Full windows: every rolling operator needs w rows (NaN before, and NaN while a NaN is in the
  window); Qlib uses min_periods=1, so its first w-1 rows are partial-window values.
- Comparisons (CNTP, CNTN, CNTD): `$close>Ref($close, 1)` is NaN where either side is NaN (the
  first row, a missing bar); Qlib's numpy comparison gives False there, counted as a 0.
- RSQR: NaN only for an exactly constant window; Qlib also sets NaN where the window's std is
  within 2e-5 of 0 (`np.isclose(std, 0, atol=2e-05)`), and likewise for CORR / CORD when either
  series' std is. On prices and volumes that tolerance almost never binds.
- RANK: percentile rank with ties averaged (pandas rolling rank(pct=True)), as current Qlib;
  some older Qlib releases divided scipy's percentileofscore by the window length instead of 100.
- Division by zero gives NaN, never ±inf.
"""

from __future__ import annotations

WINDOWS = (5, 10, 20, 30, 60)

_KBAR = {
    "KMID": "($close-$open)/$open",
    "KLEN": "($high-$low)/$open",
    "KMID2": "($close-$open)/($high-$low+1e-12)",
    "KUP": "($high-Greater($open, $close))/$open",
    "KUP2": "($high-Greater($open, $close))/($high-$low+1e-12)",
    "KLOW": "(Less($open, $close)-$low)/$open",
    "KLOW2": "(Less($open, $close)-$low)/($high-$low+1e-12)",
    "KSFT": "(2*$close-$high-$low)/$open",
    "KSFT2": "(2*$close-$high-$low)/($high-$low+1e-12)",
}

_PRICE = {"OPEN0": "$open/$close", "HIGH0": "$high/$close", "LOW0": "$low/$close", "VWAP0": "$vwap/$close"}

_UP = "Sum(Greater($close-Ref($close, 1), 0), {d})"
_DOWN = "Sum(Greater(Ref($close, 1)-$close, 0), {d})"
_MOVE = "(Sum(Abs($close-Ref($close, 1)), {d})+1e-12)"
_VUP = "Sum(Greater($volume-Ref($volume, 1), 0), {d})"
_VDOWN = "Sum(Greater(Ref($volume, 1)-$volume, 0), {d})"
_VMOVE = "(Sum(Abs($volume-Ref($volume, 1)), {d})+1e-12)"
_ABS_RET_VOLUME = "Abs($close/Ref($close, 1)-1)*$volume"

# (name prefix, formula template over the window {d}), in the order Qlib appends them.
ROLLING_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("ROC", "Ref($close, {d})/$close"),
    ("MA", "Mean($close, {d})/$close"),
    ("STD", "Std($close, {d})/$close"),
    ("BETA", "Slope($close, {d})/$close"),
    ("RSQR", "Rsquare($close, {d})"),
    ("RESI", "Resi($close, {d})/$close"),
    ("MAX", "Max($high, {d})/$close"),
    ("MIN", "Min($low, {d})/$close"),
    ("QTLU", "Quantile($close, {d}, 0.8)/$close"),
    ("QTLD", "Quantile($close, {d}, 0.2)/$close"),
    ("RANK", "Rank($close, {d})"),
    ("RSV", "($close-Min($low, {d}))/(Max($high, {d})-Min($low, {d})+1e-12)"),
    ("IMAX", "IdxMax($high, {d})/{d}"),
    ("IMIN", "IdxMin($low, {d})/{d}"),
    ("IMXD", "(IdxMax($high, {d})-IdxMin($low, {d}))/{d}"),
    ("CORR", "Corr($close, Log($volume+1), {d})"),
    ("CORD", "Corr($close/Ref($close,1), Log($volume/Ref($volume, 1)+1), {d})"),
    ("CNTP", "Mean($close>Ref($close, 1), {d})"),
    ("CNTN", "Mean($close<Ref($close, 1), {d})"),
    ("CNTD", "Mean($close>Ref($close, 1), {d})-Mean($close<Ref($close, 1), {d})"),
    ("SUMP", f"{_UP}/{_MOVE}"),
    ("SUMN", f"{_DOWN}/{_MOVE}"),
    ("SUMD", f"({_UP}-{_DOWN})/{_MOVE}"),
    ("VMA", "Mean($volume, {d})/($volume+1e-12)"),
    ("VSTD", "Std($volume, {d})/($volume+1e-12)"),
    ("WVMA", f"Std({_ABS_RET_VOLUME}, {{d}})/(Mean({_ABS_RET_VOLUME}, {{d}})+1e-12)"),
    ("VSUMP", f"{_VUP}/{_VMOVE}"),
    ("VSUMN", f"{_VDOWN}/{_VMOVE}"),
    ("VSUMD", f"({_VUP}-{_VDOWN})/{_VMOVE}"),
)


def _rolling() -> dict[str, str]:
    return {f"{prefix}{d}": template.format(d=d) for prefix, template in ROLLING_TEMPLATES for d in WINDOWS}


ALPHA158: dict[str, str] = {**_KBAR, **_PRICE, **_rolling()}
"""Qlib's Alpha158: feature name -> formula, in Qlib's column order."""
