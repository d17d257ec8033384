"""Every function a feature definition may name: TA-Lib's catalogue plus the beyond-TA-Lib kernels
(extra.py), looked up and their parameters resolved through one door.

TA-Lib names are upper case (RSI, MACD); the extras lower case (simple_returns). A lookup accepts
either in any case and answers the canonical name in its spec. Inputs are bar fields (open ... volume),
"returns" and "benchmark" (the relative kernels), "periods" (MAVP) or "fundamental:<field>" (the
fundamental ratios): `feature_compute` takes each as a (T, N) panel the caller built. No Django here
(kernels are pure).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import numpy as np

from .catalog import FunctionSpec, UnknownFunction, catalog, function_spec, params_resolve
from .extra import EXTRA_KERNELS, EXTRA_NAMES, extra_params_resolve, extra_spec, extra_specs
from .fundamentals import fundamental_field
from .talib_batch import talib_compute


def feature_function(name: str) -> FunctionSpec:
    """The spec of a TA-Lib function or an extra kernel; `UnknownFunction` (with `.close`, a few
    near names from both sets) otherwise."""
    spec = extra_spec(name)
    if spec is not None:
        return spec
    try:
        return function_spec(name)
    except UnknownFunction:
        key = str(name).strip()
        known = [s.name for s in catalog()] + list(EXTRA_NAMES)
        close = difflib.get_close_matches(key.upper(), [k.upper() for k in known], n=5, cutoff=0.5)
        by_upper = {k.upper(): k for k in known}
        raise UnknownFunction(key, tuple(by_upper[c] for c in close)) from None


def feature_catalog() -> tuple[FunctionSpec, ...]:
    """Every function a definition may name: TA-Lib's catalogue in its order, then the extras (the
    fundamental ratios among them, group "Fundamentals", inputs naming the fields they read)."""
    return catalog() + extra_specs()


def fundamental_fields(spec: FunctionSpec) -> tuple[str, ...]:
    """The fundamental fields `spec` reads (its "fundamental:<field>" inputs), in input order."""
    return tuple(f for f in (fundamental_field(i) for i in spec.inputs) if f is not None)


def feature_params_resolve(spec: FunctionSpec, given: dict | None) -> dict[str, int | float]:
    """All parameters of `spec` (a TA-Lib function's or an extra's), checked and defaulted;
    `BadParameter` (with `.field`, `.allowed`) otherwise."""
    if extra_spec(spec.name) is spec:
        return extra_params_resolve(spec, given)
    return params_resolve(spec, given)


def feature_compute(
    spec: FunctionSpec, params: dict, fields: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Every output of `spec` over (T, N) input panels: TA-Lib's functions through the batched kernel,
    the extras by calling their kernel on the panels it reads. Resolve `params` first. `fields` holds
    a panel per input of the spec (a fundamental input: the field's values known at each bar's close,
    `fundamentals.fundamentals_aligned`); a missing one is a ValueError naming it."""
    if extra_spec(spec.name) is spec:
        missing = [f for f in spec.inputs if f not in fields]  # talib_compute checks its own
        if missing:
            raise ValueError(f"{spec.name} reads {', '.join(spec.inputs)}; missing: {', '.join(missing)}")
        return {"real": EXTRA_KERNELS[spec.name](*(fields[f] for f in spec.inputs), **params)}
    return talib_compute(spec, params, fields)
