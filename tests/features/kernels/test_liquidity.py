"""ADV, dollar volume and Amihud illiquidity: a hand-worked 5-bar example, pandas on the S&P 500,
warm-up counts, NaN reach and prefix invariance."""

import numpy as np
import pandas as pd
import pytest
from arch.data import sp500

from apps.features.kernels.liquidity import adv, amihud, dollar_volume

nan = np.nan


def sp500_panel(field: str) -> np.ndarray:
    """The S&P 500's `field` cut into three consecutive 1,677-bar stretches: three "instruments"."""
    values = sp500.load()[field].to_numpy(dtype=np.float64)
    rows = len(values) // 3
    return values[: 3 * rows].reshape(3, rows).T.copy()


# Two instruments over 5 bars. Column 0 has a bar with zero volume (row 2), column 1 does not.
#   close  10, 11, 9.9, 9.9, 10.89   (returns -, +10%, -10%, 0%, +10%) in both columns
#   volume col 0: 100, 200, 0, 50, 100      col 1: 100 every bar
#   close × volume col 0: 1000, 2200, 0, 495, 1089      col 1: 1000, 1100, 990, 990, 1089
CLOSE = np.array([[10, 10], [11, 11], [9.9, 9.9], [9.9, 9.9], [10.89, 10.89]])
VOLUME = np.array([[100, 100], [200, 100], [0, 100], [50, 100], [100, 100]], dtype=float)


def test_adv_hand_worked():
    # window 3, col 0: (100+200+0)/3 = 100, (200+0+50)/3 = 250/3, (0+50+100)/3 = 50; col 1: 100
    np.testing.assert_allclose(
        adv(VOLUME, 3), [[nan, nan], [nan, nan], [100, 100], [250 / 3, 100], [50, 100]], rtol=1e-12
    )


def test_dollar_volume_hand_worked():
    # window 3, col 0: (1000+2200+0)/3, (2200+0+495)/3, (0+495+1089)/3 = 528
    #           col 1: (1000+1100+990)/3 = 1030, (1100+990+990)/3, (990+990+1089)/3 = 1023
    np.testing.assert_allclose(
        dollar_volume(CLOSE, VOLUME, 3),
        [[nan, nan], [nan, nan], [3200 / 3, 1030], [2695 / 3, 3080 / 3], [528, 1023]],
        rtol=1e-12,
    )


def test_amihud_hand_worked():
    # |r| / (close × volume):
    #   col 0: -, 0.1/2200, NaN (zero dollar volume, not inf), 0/495 = 0, 0.1/1089
    #   col 1: -, 0.1/1100, 0.1/990, 0, 0.1/1089
    # window 2: col 0: rows 1-3 hold the first bar or the zero-volume bar -> NaN; row 4 = (0 + 0.1/1089)/2
    #           col 1: row 2 = (0.1/1100 + 0.1/990)/2, row 3 = (0.1/990 + 0)/2, row 4 = (0 + 0.1/1089)/2
    out = amihud(CLOSE, VOLUME, 2)
    expected = [
        [nan, nan],
        [nan, nan],
        [nan, (0.1 / 1100 + 0.1 / 990) / 2],
        [nan, 0.1 / 990 / 2],
        [0.1 / 1089 / 2, 0.1 / 1089 / 2],
    ]
    np.testing.assert_allclose(out, expected, rtol=1e-9)
    assert not np.isinf(out).any()


def test_amihud_non_positive_dollar_volume_is_nan():
    # window 1 shows each bar's own ratio: the zero-volume bar (row 2) and a negative-volume bar
    # (row 3, a bad print) have none; the others are |r| / (close × volume) as above.
    volume = VOLUME[:, :1].copy()
    volume[3, 0] = -50.0
    out = amihud(CLOSE[:, :1], volume, 1)[:, 0]
    np.testing.assert_allclose(out, [nan, 0.1 / 2200, nan, nan, 0.1 / 1089], rtol=1e-9)


@pytest.mark.parametrize("window", [5, 21, 63])
def test_against_pandas_on_sp500(window):
    close, volume = sp500_panel("Close"), sp500_panel("Volume")
    c, v = pd.DataFrame(close), pd.DataFrame(volume)
    mean = lambda frame: frame.rolling(window).apply(lambda a: a.sum() / len(a), raw=True)  # noqa: E731
    np.testing.assert_allclose(adv(volume, window), mean(v), rtol=1e-10)
    np.testing.assert_allclose(dollar_volume(close, volume, window), mean(c * v), rtol=1e-10)
    np.testing.assert_allclose(amihud(close, volume, window), mean(c.pct_change().abs() / (c * v)), rtol=1e-9)


def test_warm_up_nan_count():
    close, volume = sp500_panel("Close"), sp500_panel("Volume")
    for out, warm in (
        (adv(volume, 10), 9),
        (dollar_volume(close, volume, 10), 9),
        (amihud(close, volume, 10), 10),
    ):
        assert np.isnan(out[:warm]).all()
        assert np.isfinite(out[warm:]).all()


@pytest.mark.parametrize("field", ["close", "volume"])
def test_nan_reaches_only_the_windows_holding_it(field):
    window, row, col = 10, 200, 0
    data = {"close": sp500_panel("Close")[:400], "volume": sp500_panel("Volume")[:400]}
    holed = {k: v.copy() for k, v in data.items()}
    holed[field][row, col] = nan
    cases = {
        "adv": (lambda d: adv(d["volume"], window), 0 if field == "volume" else None),
        "dollar_volume": (lambda d: dollar_volume(d["close"], d["volume"], window), 0),
        # a close also feeds the next bar's return
        "amihud": (lambda d: amihud(d["close"], d["volume"], window), 1 if field == "close" else 0),
    }
    for name, (func, extra) in cases.items():
        base, out = func(data), func(holed)
        expected_nan = np.isnan(base)
        if extra is not None:
            expected_nan[row : row + window + extra, col] = True
        np.testing.assert_array_equal(np.isnan(out), expected_nan, err_msg=name)
        np.testing.assert_allclose(out[~expected_nan], base[~expected_nan], rtol=1e-9, err_msg=name)


def test_prefix_invariance():
    close, volume = sp500_panel("Close"), sp500_panel("Volume")
    funcs = (
        lambda c, v: adv(v, 21),
        lambda c, v: dollar_volume(c, v, 21),
        lambda c, v: amihud(c, v, 21),
    )
    for func in funcs:
        full = func(close, volume)
        for t in (3, 20, 21, 900, len(close) - 1):
            np.testing.assert_array_equal(func(close[: t + 1], volume[: t + 1]), full[: t + 1])


def test_bad_input_rejected():
    with pytest.raises(ValueError, match="window"):
        adv(VOLUME, 0)
    with pytest.raises(ValueError, match="shape"):
        dollar_volume(CLOSE, VOLUME[:, :1], 2)
