"""The batched computation behind the store (one call per definition over every symbol's own bars)
equals TA-Lib called directly on each symbol's bars alone, for every catalogue output — also for a
symbol with missing bars (its panel column is shorter, so padded)."""

from __future__ import annotations

import numpy as np
import pytest
import talib

from apps.features.kernels.catalog import catalog, talib_lookback
from apps.features.models import FeatureDefinition
from apps.features.selectors.panels import BAR_FIELDS, symbol_feature_arrays

pytestmark = pytest.mark.django_db


def test_every_catalogue_output_equals_talib_per_symbol(sp500_market):
    defs = [
        FeatureDefinition.objects.create(name=f"{s.name.lower()}_{k}", version=1, function=s.name, output=out)
        for s in catalog()
        if all(f in BAR_FIELDS for f in s.inputs)
        for k, out in enumerate(s.outputs)
    ]
    broken = []
    for symbol, _i, _a, index, arrays in symbol_feature_arrays(definitions=defs, symbols=["AAA", "BBB"]):
        bars = sp500_market[symbol]
        assert (index == bars.index).all()
        for d in defs:
            fn = getattr(talib, d.function)
            spec_inputs = [f for s in catalog() if s.name == d.function for f in s.inputs]
            result = fn(*(bars[f].to_numpy(dtype=float) for f in spec_inputs))
            outputs = [s.outputs for s in catalog() if s.name == d.function][0]
            raw = np.asarray(result[outputs.index(d.output)] if isinstance(result, tuple) else result)
            want = raw.astype(float)
            got = arrays[d.label]
            if raw.dtype.kind in "iu":  # integer outputs: the wrapper writes 0 in the warm-up, the engine NaN
                warmup = talib_lookback(d.function, ())
                assert np.isnan(got[:warmup]).all() and not np.isnan(got[warmup:]).any()
                want[:warmup] = np.nan
            try:
                np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
            except AssertionError:
                broken.append((symbol, d.label))
    assert broken == []
