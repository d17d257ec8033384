"""Second moments of rolling windows over a (T, N) panel, the rows of each window only: the sum of
squared deviations from the window mean (variance, std), the co-moment with time 1..w (the OLS slope,
R² and residual on time) and the co-moment with a second panel (covariance, correlation).

Like window_sums, a sparse table over blocks of 1, 2, 4, ... rows, but each level keeps the blocks'
sums AND their co-moments, and two neighbouring blocks are merged by Chan, Golub & LeVeque's pairwise
update: M2 = M2_a + M2_b + d² n_a n_b / n with d the difference of the block means. Every term is
a sum of squares or of products of differences of means: no sum of x² minus a square of sums, so a
price of 1e4 moving by 1e-4 keeps its variance (tests/.../test_window_moments.py compares with a
two-pass computation there; pandas' running update is the less accurate one), nothing from earlier
rows can leave rounding behind, and a window of equal values has every difference exactly 0, hence
a variance of exactly 0 (pandas' answer) and a correlation or R² of NaN.

NaN semantics as time_series.WINDOW_SEMANTICS: NaN for the first w-1 rows and wherever the window
holds a NaN (for two panels: where either does), ±inf counted as missing; outputs finite or NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .window_sums import by_column_blocks, finite_block, output_panel


@dataclass(frozen=True)
class _Blocks:
    """Statistics of the blocks of `size` rows ending at each row (row i: the block ending at row
    i + size - 1): sums of x and y, squared deviations of x and y from the block means, and the
    co-moments of x with time and with y. None where not asked for, or where it is 0 (size 1)."""

    size: int
    sx: np.ndarray
    m2x: np.ndarray | None = None
    ct: np.ndarray | None = None
    sy: np.ndarray | None = None
    m2y: np.ndarray | None = None
    xy: np.ndarray | None = None


@dataclass(frozen=True)
class _Window:
    """The same statistics for the newest `n` rows of every output window, with means for sums."""

    n: int
    mx: np.ndarray
    m2x: np.ndarray | None
    ct: np.ndarray | None
    my: np.ndarray | None
    m2y: np.ndarray | None
    xy: np.ndarray | None


def _plus(term: np.ndarray, *others: np.ndarray | None) -> np.ndarray:
    """term + the others that are not None (zero), into `term` (a fresh array the caller owns)."""
    for other in others:
        if other is not None:
            term += other
    return term


def _part(values: np.ndarray | None, rows: slice) -> np.ndarray | None:
    return None if values is None else values[rows]


def _level_up(b: _Blocks, *, m2x: bool, ct: bool, m2y: bool, xy: bool) -> _Blocks:
    """Blocks of 2s rows: the older and the newer block of s rows merged (means differ by d/s)."""
    s = b.size
    old, new = slice(None, -s), slice(s, None)
    dx = b.sx[new] - b.sx[old]  # newer minus older block sum
    dy = None if b.sy is None else b.sy[new] - b.sy[old]
    return _Blocks(
        size=2 * s,
        sx=b.sx[old] + b.sx[new],
        m2x=_plus(_scaled(dx, dx, 0.5 / s), _part(b.m2x, old), _part(b.m2x, new)) if m2x else None,
        # time means differ by s, so d/s * s * (s * s / 2s) = d * s / 2
        ct=_plus(dx * (0.5 * s), _part(b.ct, old), _part(b.ct, new)) if ct else None,
        sy=None if dy is None else b.sy[old] + b.sy[new],
        m2y=_plus(_scaled(dy, dy, 0.5 / s), _part(b.m2y, old), _part(b.m2y, new)) if m2y else None,
        xy=_plus(_scaled(dx, dy, 0.5 / s), _part(b.xy, old), _part(b.xy, new)) if xy else None,
    )


def _merged(term, mine: np.ndarray | None, theirs: np.ndarray | None) -> np.ndarray | None:
    """term() + mine + theirs, or None when both are (not asked for, or a sum over one row)."""
    return None if mine is None and theirs is None else _plus(term(), mine, theirs)


def _scaled(a: np.ndarray, b: np.ndarray, factor: float) -> np.ndarray:
    out = np.multiply(a, b)
    out *= factor
    return out


def _with_older(w: _Window | None, b: _Blocks, rows: slice) -> _Window:
    """The window's newest w.n rows merged with the block of b.size rows just before them."""
    s = b.size
    mx_old = b.sx[rows] * (1.0 / s)  # a power of two: exact
    my_old = None if b.sy is None else b.sy[rows] * (1.0 / s)
    if w is None:
        copy = lambda v: None if v is None else np.array(v[rows])  # noqa: E731
        return _Window(s, mx_old, copy(b.m2x), copy(b.ct), my_old, copy(b.m2y), copy(b.xy))
    a, n = w.n, w.n + s
    weight = a * s / n
    dx = w.mx - mx_old  # newer minus older mean; exactly 0 when both hold one repeated value
    dy = None if my_old is None else w.my - my_old
    return _Window(
        n=n,
        mx=_plus(dx * (a / n), mx_old),
        m2x=_merged(lambda: _scaled(dx, dx, weight), w.m2x, _part(b.m2x, rows)),
        # time means differ by n / 2: d * (n / 2) * a s / n
        ct=_merged(lambda: dx * (a * s / 2.0), w.ct, _part(b.ct, rows)),
        my=None if dy is None else _plus(dy * (a / n), my_old),
        m2y=_merged(lambda: _scaled(dy, dy, weight), w.m2y, _part(b.m2y, rows)),
        xy=_merged(lambda: _scaled(dx, dy, weight), w.xy, _part(b.xy, rows)),
    )


def _window_stats(x, y, window, *, m2x=False, ct=False, m2y=False) -> _Window:
    """The statistics of every full window of x (and y) of one column block: (T-w+1, columns)."""
    n_out = x.shape[0] - window + 1
    wants = dict(m2x=m2x, ct=ct, m2y=m2y, xy=y is not None)
    blocks, acc = _Blocks(size=1, sx=x, sy=y), None
    while True:
        if window & blocks.size:
            covered = 0 if acc is None else acc.n
            start = window - covered - blocks.size
            acc = _with_older(acc, blocks, slice(start, start + n_out))
        if 2 * blocks.size > window:
            return acc
        blocks = _level_up(blocks, **wants)


def _zero_if_none(values: np.ndarray | None, like: np.ndarray) -> np.ndarray:
    return np.zeros_like(like) if values is None else values


def _by_blocks(finish, window: int, x: np.ndarray, y: np.ndarray | None = None, **wants) -> np.ndarray:
    """Run `finish(stats, x_block, out_block)` over column blocks of x (and y); a (T, N) result."""

    def kernel(xb, yb, out):
        finish(_window_stats(xb, yb, window, **wants), xb, out)

    return by_column_blocks(x, window, kernel, y)


def _time_ss(window: int) -> float:
    """Sum of squared deviations of the regressor 1..w from its mean: w(w² - 1) / 12."""
    return window * (window * window - 1) / 12.0


def rolling_var(x: np.ndarray, window: int) -> np.ndarray:
    """Sample variance (ddof=1): M2 / (w - 1); NaN for w = 1 (0 / 0)."""

    def finish(w: _Window, _, out):
        np.divide(_zero_if_none(w.m2x, w.mx), window - 1.0, out=out)

    return _by_blocks(finish, window, x, m2x=True)


def rolling_std(x: np.ndarray, window: int) -> np.ndarray:
    def finish(w: _Window, _, out):
        np.divide(_zero_if_none(w.m2x, w.mx), window - 1.0, out=out)
        np.sqrt(out, out=out)

    return _by_blocks(finish, window, x, m2x=True)


def rolling_slope(x: np.ndarray, window: int) -> np.ndarray:
    """OLS slope on time 1..w: co-moment with time / w(w² - 1)/12; NaN for w = 1."""

    def finish(w: _Window, _, out):
        np.divide(_zero_if_none(w.ct, w.mx), _time_ss(window), out=out)

    return _by_blocks(finish, window, x, ct=True)


def rolling_rsquare(x: np.ndarray, window: int) -> np.ndarray:
    """R² = ct² / (Stt M2), at most 1; NaN for a constant window (0 / 0) and for w = 1."""

    def finish(w: _Window, _, out):
        ct = _zero_if_none(w.ct, w.mx)
        np.multiply(ct, ct, out=out)
        out /= _zero_if_none(w.m2x, w.mx) * _time_ss(window)
        np.minimum(out, 1.0, out=out)

    return _by_blocks(finish, window, x, m2x=True, ct=True)


def rolling_resi(x: np.ndarray, window: int) -> np.ndarray:
    """x[t] - fit at time w = x[t] - mean - slope (w - 1) / 2; NaN for w = 1."""

    if window == 1:  # no line through one point
        return np.full(np.shape(x), np.nan)

    def finish(w: _Window, xb, out):
        np.divide(_zero_if_none(w.ct, w.mx), _time_ss(window) * 2.0 / (window - 1.0), out=out)
        np.subtract(xb[window - 1 :], w.mx, out=w.mx)
        np.subtract(w.mx, out, out=out)

    return _by_blocks(finish, window, x, ct=True)


def rolling_cov(x: np.ndarray, y: np.ndarray, window: int) -> np.ndarray:
    """Sample covariance (ddof=1) of the pairs; NaN where either series has a NaN in the window."""

    def finish(w: _Window, _, out):
        np.divide(_zero_if_none(w.xy, w.mx), window - 1.0, out=out)

    return _by_blocks(finish, window, x, np.asarray(y, dtype=np.float64))


def _two_point_corr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The correlation of two points is the sign of dx dy, exactly: the general formula's rounding
    would make some of these ±1 a few ulps short, and a rank taken of them would break the ties."""
    out = output_panel(x.shape, 2)
    with np.errstate(all="ignore"):
        # signs, not the product itself, which could underflow to 0 or overflow
        sign = np.sign(np.diff(finite_block(x), axis=0)) * np.sign(np.diff(finite_block(y), axis=0))
    sign[sign == 0.0] = np.nan  # one of the two is constant
    out[1:] = sign
    return out


def rolling_corr(x: np.ndarray, y: np.ndarray, window: int) -> np.ndarray:
    """Pearson correlation clipped to [-1, 1] (rounding only); NaN where either is constant."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if window == 2 and x.shape[0] >= 2:
        return _two_point_corr(x, y)

    def finish(w: _Window, _, out):
        scale = _zero_if_none(w.m2x, w.mx) * _zero_if_none(w.m2y, w.mx)
        np.sqrt(scale, out=scale)
        np.divide(_zero_if_none(w.xy, w.mx), scale, out=out)
        np.clip(out, -1.0, 1.0, out=out)

    return _by_blocks(finish, window, x, y, m2x=True, m2y=True)
