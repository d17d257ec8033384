"""The features part of load_demo: the demo set's definitions, the set, and their values in the store
for every active instrument; a second run changes nothing but the (recomputed) values."""

from __future__ import annotations

import numpy as np
import pytest
import talib

from apps.features import demo
from apps.features.models import FeatureDefinition, FeatureSet
from apps.features.selectors.values import stored_values
from apps.marketdata import facade as marketdata

pytestmark = pytest.mark.django_db


def test_seed_defines_the_set_and_stores_values_idempotently(sp500_market):
    demo.seed()
    demo.seed()
    names = [d[0] for d in demo.DEFINITIONS if not d[4]]  # no SPY here: the beta is left out
    assert sorted(FeatureDefinition.objects.values_list("name", flat=True)) == sorted(names)
    assert FeatureDefinition.objects.filter(version__gt=1).count() == 0
    members = FeatureSet.objects.get(name=demo.DEMO_SET).members.all()
    ids = {s: marketdata.instrument_get(s).id for s in ("AAA", "BBB")}
    got = stored_values(definitions=list(members), instruments=ids)
    aaa = got[got["symbol"] == "AAA"]
    close = sp500_market["AAA"]["close"].to_numpy()
    np.testing.assert_allclose(aaa["rsi_14@1"], talib.RSI(close, 14), rtol=1e-12, equal_nan=True)
    assert len(got) == len(sp500_market["AAA"]) + len(sp500_market["BBB"])
