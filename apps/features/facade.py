"""What other engines may import from the features engine (the only such module).

`feature_panel` gives feature values per symbol, computed from the stored bars on request (the
feature store will serve the same answer from storage). `features_as_of` reads the store point in
time: for entity rows (symbol, ts), each feature's value as it was known at ts. `features_latest`
gives the latest stored value of each feature for many symbols in one read (online retrieval,
from the store's latest-value table). Features are named as in a feature set: "rsi_14" (its
latest version) or "rsi_14@2" (that version); a feature set names pinned versions.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from django.core.exceptions import ValidationError

from .selectors.definitions import definition_get, definition_latest
from .selectors.historical import point_in_time
from .selectors.lookups import normalize_symbol, online_names_resolve
from .selectors.online import LatestValues
from .selectors.online_cache import latest_values_cached
from .selectors.panels import FeatureNotComputable, feature_values
from .selectors.requests import definitions_requested
from .selectors.sets import set_get

__all__ = [
    "FeatureNotComputable",
    "LatestValues",
    "UnknownFeature",
    "UnknownSymbol",
    "feature_panel",
    "features_as_of",
    "features_latest",
]


class UnknownFeature(LookupError):
    """A feature name, version or feature set that does not exist."""


class UnknownSymbol(LookupError):
    """Symbols no instrument has (`.symbols` lists them)."""

    def __init__(self, symbols: Sequence[str]):
        self.symbols = list(symbols)
        super().__init__(f"unknown symbols: {', '.join(self.symbols)}")


def _definition(item: str):
    name, _, version = str(item).strip().partition("@")
    if version and not version.isdigit():
        raise UnknownFeature(f"{item!r}: a version is a whole number, as in rsi_14@2")
    found = definition_get(name, int(version)) if version else definition_latest(name)
    if found is None:
        raise UnknownFeature(f"no feature {item!r}")
    return found


def feature_panel(
    symbols: Sequence[str],
    features: Sequence[str] = (),
    *,
    feature_set: str | None = None,
    start=None,
    end=None,
) -> dict[str, pd.DataFrame]:
    """`{"name@version": DataFrame}` for the `features` asked and/or the members of `feature_set`:
    one column per symbol (in the order given), indexed by bar timestamp (bucket start, UTC; the value
    is known at the bar's close), rows in [start, end). Values before a feature's warm-up is complete
    are NaN; the warm-up is read from the history before `start`. Raises UnknownFeature, and
    FeatureNotComputable for a definition that reads a series the store does not give (MAVP's periods)."""
    definitions = [_definition(f) for f in features]
    if feature_set is not None:
        found = set_get(feature_set)
        if found is None:
            raise UnknownFeature(f"no feature set {feature_set!r}")
        definitions += list(found.members.order_by("name", "version"))
    unique = list({d.label: d for d in definitions}.values())
    return feature_values(definitions=unique, symbols=list(symbols), start=start, end=end)


def features_as_of(
    entities: pd.DataFrame,
    feature_set: str | None = None,
    features: Sequence[str] = (),
    ttl=None,
    *,
    with_known_at: bool = False,
) -> pd.DataFrame:
    """Point in time: the entity rows (columns symbol, ts; naive ts = UTC) in their order, plus one
    column per feature ("name@version", the `features` asked and/or the members of `feature_set`)
    holding the stored value known at ts: the latest bar whose close (known_at) is at or before ts
    and less than the feature's TTL before it; NaN otherwise. `ttl`: None (FEATURES_TTL_BARS bars
    of each feature's interval), one duration for all ("36h" or a Timedelta) or {"name@version" or
    "name": duration}. `with_known_at` adds a "name@version.known_at" column. Unknown symbols give
    NaN rows and are listed in `frame.attrs["unknown_symbols"]`. Raises UnknownFeature, and
    ValueError for a bad ttl or entities without symbol and ts."""
    try:
        definitions = definitions_requested(features=list(features), set_name=feature_set)
    except ValidationError as exc:
        raise UnknownFeature("; ".join(exc.messages)) from None
    if not definitions:
        raise UnknownFeature(f"the feature set {feature_set!r} has no members")
    return point_in_time(definitions, entities, ttl, with_known_at=with_known_at)


def features_latest(
    symbols: Sequence[str], feature_set: str | None = None, features: Sequence[str] = ()
) -> LatestValues:
    """The latest stored value of each feature (`features`, as "name" or "name@version", then the
    members of `feature_set`) for each symbol: `.values` (symbols x features, NaN where nothing is
    stored), `.known_at` (when each value became known: its bar's close), `.frame()`. At most one query,
    none when the process cache is current (selectors/online_cache.py); names
    are resolved through a process cache (selectors/lookups.py). Raises UnknownFeature (a set or
    feature) and UnknownSymbol."""
    definitions, instruments, errors = online_names_resolve(
        symbols=symbols, feature_set=feature_set, features=features
    )
    if "set" in errors or "features" in errors:
        raise UnknownFeature("; ".join(errors[k] for k in ("features", "set") if k in errors))
    if "symbols" in errors:
        raise UnknownSymbol(
            [s for s in dict.fromkeys(map(normalize_symbol, symbols)) if s not in instruments]
        )
    return latest_values_cached(definitions=definitions, instruments=instruments)
