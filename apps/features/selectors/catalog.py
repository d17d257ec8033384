"""Reads of the feature catalogue: TA-Lib's functions as the kernel derives them from its metadata,
then the beyond-TA-Lib kernels (returns, volatility, relative, liquidity, fundamental ratios)."""

from __future__ import annotations

from dataclasses import asdict

from ..kernels.functions import feature_catalog


def catalog_list(*, group: str | None = None, name: str | None = None) -> list[dict]:
    """Every catalogue function (or those of one group, or whose name contains `name`, any case), TA-Lib's
    in its order then the extras, as JSON-ready dicts: name, group, display name, inputs, parameters with their defaults and
    ranges, outputs and flags."""
    needle = (name or "").strip().upper()
    return [
        asdict(spec)
        for spec in feature_catalog()
        if (group is None or spec.group == group) and needle in spec.name.upper()
    ]


def catalog_groups() -> tuple[str, ...]:
    return tuple(dict.fromkeys(spec.group for spec in feature_catalog()))
