"""Fixtures of the factors API tests: two price factors over the fixture market's window."""

from __future__ import annotations

import pytest

from apps.factors.services.definitions import definition_save

SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE", "GAP", "NOVWAP", "FFF"]


@pytest.fixture
def window(factor_market):
    dates = factor_market["AAA"].index
    return {"start": dates[40].strftime("%Y-%m-%d"), "end": dates[260].strftime("%Y-%m-%d")}


@pytest.fixture
def price_factors(factor_market):
    return [
        definition_save(name="mom_5", formula="$close / Ref($close, 5) - 1"),
        definition_save(name="rev_3", formula="Ref($close, 3) / $close"),
        definition_save(name="range_hl", formula="($high - $low) / $close"),
    ]
