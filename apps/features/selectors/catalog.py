"""Reads of the feature catalogue: TA-Lib's functions as the kernel derives them from its metadata."""

from __future__ import annotations

from dataclasses import asdict

from ..kernels import catalog


def catalog_list(*, group: str | None = None, name: str | None = None) -> list[dict]:
    """Every catalogue function (or those of one group, or whose name contains `name`), in TA-Lib's
    order, as JSON-ready dicts: name, group, display name, inputs, parameters with their defaults and
    ranges, outputs and flags."""
    needle = (name or "").strip().upper()
    return [
        asdict(spec)
        for spec in catalog.catalog()
        if (group is None or spec.group == group) and needle in spec.name
    ]


def catalog_groups() -> tuple[str, ...]:
    return catalog.groups()
