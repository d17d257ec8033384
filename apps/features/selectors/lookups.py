"""Names to rows for the online read, cached in the process: a feature set's members, a feature
("name" or "name@version") and a symbol's instrument id.

An online read is one query (selectors/online.py); resolving its names through the ORM every time
would cost more than the read (a set with prefetched members, 100 instruments as model objects). What
is cached cannot change, or may be seen late by at most `TTL_SECONDS`:

- "name@version" is an immutable definition version;
- a set's members are pinned and not editable (admin.py); a set deleted and created again under the
  same name is seen after the TTL;
- "name" is the latest version of the name: a new version is seen after the TTL;
- a symbol's instrument id: instruments are not renamed in the API; a symbol not found is never
  cached, so a new instrument is found at once.

The API also remembers whole queries (`online_query_keep`/`online_query_recall`): the same query
string asked again skips its validation and its hundred lookups, a fifth of a warm request. A
remembered query expires with the first of the names it was resolved from, so nothing is seen later
than above; only queries that resolved without error are remembered.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from apps.marketdata import facade as marketdata

from ..models import FeatureDefinition
from .definitions import definition_by_label
from .sets import set_get

TTL_SECONDS = 30.0

_lock = threading.Lock()
_sets: dict[str, tuple[float, tuple[FeatureDefinition, ...]]] = {}
_features: dict[str, tuple[float, FeatureDefinition]] = {}
_instruments: dict[str, tuple[float, int]] = {}
# Whole queries: (set, features, symbols) as the request gave them -> (expires, definitions, ids).
_queries: OrderedDict[tuple, tuple[float, tuple[FeatureDefinition, ...], dict[str, int]]] = OrderedDict()
QUERIES_KEPT = 256


def lookups_clear() -> None:
    """Forget every cached name (tests; a process that must see a change at once)."""
    with _lock:
        _sets.clear()
        _features.clear()
        _instruments.clear()
        _queries.clear()


def _fresh(cache: dict, key: str):
    hit = cache.get(key)
    return hit[1] if hit is not None and hit[0] > time.monotonic() else None


def set_members(name: str) -> tuple[FeatureDefinition, ...] | None:
    """The pinned definitions of the set `name` (name, version order), or None when there is none."""
    hit = _fresh(_sets, name)
    if hit is not None:
        return hit
    found = set_get(name)
    if found is None:
        return None
    members = tuple(found.members.all())
    with _lock:
        _sets[name] = (time.monotonic() + TTL_SECONDS, members)
    return members


def feature_get(item: str) -> FeatureDefinition | None:
    """ "rsi_14" (its latest version) or "rsi_14@2" (that version), or None when unknown."""
    item = str(item).strip()
    hit = _fresh(_features, item)
    if hit is not None:
        return hit
    found = definition_by_label(item)
    if found is not None:
        with _lock:
            _features[item] = (time.monotonic() + TTL_SECONDS, found)
    return found


def features_get(items: Iterable[str]) -> tuple[list[FeatureDefinition], list[str]]:
    """The definitions of `items` in order (duplicates dropped), and the items that name none."""
    found, unknown = {}, []
    for item in dict.fromkeys(items):
        d = feature_get(item)
        if d is None:
            unknown.append(item)
        else:
            found.setdefault(d.pk, d)
    return list(found.values()), unknown


def normalize_symbol(symbol: str) -> str:
    """As marketdata stores symbols: stripped, upper case."""
    return str(symbol).strip().upper()


def instrument_ids(symbols: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """{symbol: instrument id} in the order given (normalized, duplicates dropped) and the symbols
    no instrument has."""
    wanted = list(dict.fromkeys(normalize_symbol(s) for s in symbols))
    ids: dict[str, int] = {}
    missing = []
    for s in wanted:
        hit = _fresh(_instruments, s)
        if hit is None:
            missing.append(s)
        else:
            ids[s] = hit
    if missing:
        infos = marketdata.instruments_by_symbols(missing)
        expires = time.monotonic() + TTL_SECONDS
        with _lock:
            for s, info in infos.items():
                _instruments[s] = (expires, info.id)
        ids.update({s: info.id for s, info in infos.items()})
    unknown = [s for s in wanted if s not in ids]
    return {s: ids[s] for s in wanted if s in ids}, unknown


def online_names_resolve(
    *, symbols: Sequence[str], feature_set: str | None = None, features: Sequence[str] = ()
) -> tuple[list[FeatureDefinition], dict[str, int], dict[str, str]]:
    """The definitions (`features`, then the set's members, each once: the order of
    selectors/requests.py) and {symbol: id} of an online read, and what could not be resolved, keyed
    by field ("features", "set", "symbols")."""
    errors: dict[str, str] = {}
    found, unknown = features_get(features)
    if unknown:
        errors["features"] = f"unknown definition: {', '.join(unknown)}"
    definitions = {d.pk: d for d in found}
    if feature_set is not None:
        members = set_members(feature_set)
        if members is None:
            errors["set"] = f"unknown feature set {feature_set!r}"
        else:
            definitions.update((d.pk, d) for d in members if d.pk not in definitions)
    ids, missing = instrument_ids(symbols)
    if missing:
        errors["symbols"] = f"unknown symbols: {', '.join(missing)}"
    return list(definitions.values()), ids, errors


def online_query_recall(raw: tuple) -> tuple[list[FeatureDefinition], dict[str, int]] | None:
    """The definitions and {symbol: id} a query kept by `online_query_keep` resolved to, while none of
    its names has expired; else None."""
    with _lock:
        hit = _queries.get(raw)
        if hit is None or hit[0] <= time.monotonic():
            return None
        _queries.move_to_end(raw)
    return list(hit[1]), hit[2]


def online_query_keep(
    raw: tuple,
    *,
    feature_set: str | None,
    features: Sequence[str],
    definitions: Sequence[FeatureDefinition],
    instruments: dict[str, int],
) -> None:
    """Remember that the query `raw` resolved (without error) to `definitions` and `instruments`,
    until the first of the cached names it was resolved from expires."""
    with _lock:
        expiries = [_sets.get(feature_set, (0.0,))[0]] if feature_set is not None else []
        expiries += [_features.get(str(item).strip(), (0.0,))[0] for item in features]
        expiries += [_instruments.get(symbol, (0.0,))[0] for symbol in instruments]
        if not expiries:
            return
        _queries[raw] = (min(expiries), tuple(definitions), dict(instruments))
        _queries.move_to_end(raw)
        while len(_queries) > QUERIES_KEPT:
            _queries.popitem(last=False)
