"""Target weights to whole-lot orders: hand-worked examples of the rounding and the cash guard."""

import numpy as np

from apps.portfolio.kernels.rebalance import rebalance


def test_targets_round_toward_zero_to_whole_lots():
    # NAV 85,000 + 100 x 200 = 105,000; AAPL 50 % = 52,500 / 200 = 262.5 -> 262 shares;
    # MSFT 30 % = 31,500 / 300 = 105 -> 10 lots of 10; the JPM held (10 x 50) is sold
    plan = rebalance([0.5, 0.3, 0.0], [100, 0, 10], [200, 300, 50], [1, 10, 1], 84_500)
    assert plan.nav == 105_000
    np.testing.assert_array_equal(plan.target_quantity, [262, 100, 0])
    np.testing.assert_array_equal(plan.trade, [162, 100, -10])
    assert plan.cash_after == 84_500 - 162 * 200 - 100 * 300 + 10 * 50 and plan.cut_lots == 0


def test_the_cash_buffer_is_kept():
    plan = rebalance([1.0], [0], [7], [1], 1000, cash_buffer=0.1)  # 900 / 7 = 128.6 -> 128
    assert plan.target_quantity[0] == 128 and plan.cash_after == 1000 - 128 * 7 >= 100


def test_buys_are_cut_when_shorts_rounded_toward_zero_leave_too_little_cash():
    # long 120 / 7 -> 17 (119), short 20 / 3 -> 6 (18 proceeds): cash 100 - 119 + 18 = -1 < 0,
    # so one lot of the long is cut: 16, cash 6
    plan = rebalance([1.2, -0.2], [0, 0], [7, 3], [1, 1], 100)
    np.testing.assert_array_equal(plan.target_quantity, [16, -6])
    assert plan.cash_after == 6 and plan.cut_lots == 1
