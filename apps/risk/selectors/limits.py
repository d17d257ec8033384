"""The effective limits of loaded books, as the kernel's `Limits` arrays.

A portfolio's effective limits are its own enabled limits plus every enabled global default
(portfolio NULL) for which it has no limit of its own with the same (type, scope, scope_value) —
an own limit overrides the default even when the own one is disabled, so a desk can switch a
default off for one portfolio. One query for all portfolios.

Scope values map to the book's codes: a symbol to its instrument column, a sector / industry name
(case-insensitive) to its code, a currency (ISO, case-insensitive) to its code. A bucket the loaded
universe does not have maps to -1, which the kernel measures as 0 for a scoped limit (nothing is
held there), never as no_data.

Also the API's reads of limits and their audit trail (the querysets DRF paginates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db.models import Q, QuerySet

from apps.platform.sql import fetch_rows, in_values

from ..kernels import catalog
from ..kernels.limits import SCOPE, TYPE, UNIT, Limits
from ..models import LimitChange, RiskLimit
from ..models.limits import DEFINITION_FIELDS
from .book import WINDOW_TYPES, LoadedBook

FIELDS = ("id", "portfolio_id", *DEFINITION_FIELDS)  # positions matter: see limits_resolve
# Which code space a portfolio-scoped limit's reported bucket (the largest one) lives in.
_LARGEST_KIND = {
    "max_position": "instrument",
    "concentration_limit": "instrument",
    "adv_limit": "instrument",
    "sector_concentration": "sector",
    "industry_exposure": "industry",
    "currency_exposure": "currency",
}


@dataclass(frozen=True)
class ResolvedLimits:
    limits: Limits
    ids: np.ndarray  # (L,) RiskLimit pk per kernel limit
    rows: pd.DataFrame  # (L,) the limits' fields (FIELDS + row), aligned with `limits`

    def __len__(self) -> int:
        return len(self.ids)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({f: pd.Series(dtype=object) for f in (*FIELDS, "row")})


def _names(loaded: LoadedBook, kind: str) -> list[str]:
    return {
        "instrument": loaded.symbols,
        "sector": loaded.sectors,
        "industry": loaded.industries,
        "currency": loaded.currencies,
    }[kind]


def _bucket_codes(loaded: LoadedBook, scope: pd.Series, value: pd.Series) -> np.ndarray:
    codes = np.full(len(scope), -1, dtype=np.int64)
    scope, value = scope.to_numpy(dtype=object), value.to_numpy(dtype=object)
    for kind in ("instrument", "sector", "industry", "currency"):
        at = scope == kind
        if at.any():
            index = {n.casefold(): i for i, n in enumerate(_names(loaded, kind))}
            codes[at] = [index.get(str(v).casefold(), -1) for v in value[at]]
    return codes


def limits_read(portfolio_ids) -> list[tuple]:
    """The limit rows (FIELDS) that can apply to these portfolios: all of their own, and every
    enabled global default; one plain-SQL query (the ORM's compile cost was half the read)."""
    columns = ", ".join(RiskLimit._meta.get_field(f).column for f in FIELDS)
    own, params = in_values("portfolio_id", [int(i) for i in portfolio_ids if i >= 0])
    return fetch_rows(
        f"SELECT {columns} FROM {RiskLimit._meta.db_table} WHERE {own} OR (portfolio_id IS NULL AND enabled)",
        params,
    )


def windows_used(records: list[tuple]) -> tuple[tuple[int, ...], bool]:
    """The windows (days) of the enabled turnover/drawdown limits among `records` (limits_read
    rows), and whether any of them is a turnover limit: what book_load must compute."""
    at = {f: k for k, f in enumerate(FIELDS)}
    used = [
        (r[at["limit_type"]], int(r[at["window_days"]]))
        for r in records
        if r[at["enabled"]] and r[at["limit_type"]] in WINDOW_TYPES
    ]
    return tuple(sorted({w for _, w in used})), any(t == "turnover_limit" for t, _ in used)


def limits_resolve(
    loaded: LoadedBook, *, limit_ids=None, records: list[tuple] | None = None
) -> ResolvedLimits:
    """The effective enabled limits of every portfolio in `loaded`, ordered by (book row, limit id).
    `limit_ids` keeps only those limits (one limit's check); `records` are limits_read rows of
    these portfolios already read."""
    p = len(loaded.portfolio_ids)
    if records is None:
        records = limits_read(loaded.portfolio_ids)
    if not records or p == 0:
        return _pack(loaded, _empty())
    # Object columns: pandas' default Arrow strings cost more to build and index than they save here.
    frame = pd.DataFrame(records, columns=list(FIELDS), dtype=object)
    row_of = {int(pid): r for r, pid in enumerate(loaded.portfolio_ids)}
    keys = [(r[3], r[4], r[5]) for r in records]  # (limit_type, scope, scope_value)
    is_default = np.asarray([r[1] is None for r in records])
    # Own limits: their row (the enabled ones, as arrays: 6,000 per batch of 500 books); and which
    # (row, key) they take away from the defaults.
    own, defaults = np.flatnonzero(~is_default), np.flatnonzero(is_default)
    own_rows = np.asarray([row_of[int(records[i][1])] for i in own], dtype=np.int64)
    enabled = np.asarray([bool(records[i][10]) for i in own], dtype=bool)
    take, rows = [own[enabled]], [own_rows[enabled]]
    default_keys = {keys[i] for i in defaults}
    shadowed: dict[tuple, list[int]] = {}
    for i, r in zip(own, own_rows.tolist(), strict=True):
        if keys[i] in default_keys:
            shadowed.setdefault(keys[i], []).append(r)
    everyone = np.arange(p)
    for i in defaults:
        applies = np.setdiff1d(everyone, shadowed.get(keys[i], ()), assume_unique=True)
        take.append(np.full(len(applies), i))
        rows.append(applies)
    take_all = np.concatenate(take).astype(np.int64)
    row_all = np.concatenate(rows).astype(np.int64)
    ids = frame["id"].to_numpy(dtype=np.int64)[take_all]
    keep = np.isin(ids, list(limit_ids)) if limit_ids is not None else np.ones(len(ids), dtype=bool)
    order = np.lexsort((ids[keep], row_all[keep]))
    out = frame.iloc[take_all[keep][order]].reset_index(drop=True)
    out["row"] = row_all[keep][order]
    return _pack(loaded, out)


_CODE_INDEX = {id(codes): pd.Index(list(codes)) for codes in (TYPE, SCOPE, UNIT)}


def _codes_of(column: pd.Series, index: dict[str, int]) -> np.ndarray:
    """Each name's index in `index` (catalog order), one hash lookup for the whole column."""
    return _CODE_INDEX[id(index)].get_indexer(column.to_numpy(dtype=object)).astype(np.int64)


def _pack(loaded: LoadedBook, rows: pd.DataFrame) -> ResolvedLimits:
    n = len(rows)

    def floats(col, default=np.nan):
        # Object column of floats and None: numpy reads None as NaN (cheaper than pd.to_numeric).
        values = np.asarray(rows[col].to_numpy(), dtype=float) if n else np.zeros(0)
        return np.where(np.isnan(values), default, values)

    limits = Limits(
        row=rows["row"].to_numpy(dtype=np.int64) if n else np.zeros(0, dtype=np.int64),
        type=_codes_of(rows["limit_type"], TYPE),
        scope=_codes_of(rows["scope"], SCOPE),
        bucket=_bucket_codes(loaded, rows["scope"], rows["scope_value"])
        if n
        else np.zeros(0, dtype=np.int64),
        warn=floats("warn_threshold"),
        breach=floats("breach_threshold"),
        unit=_codes_of(rows["unit"], UNIT),
        confidence=floats("confidence", 0.99),
        horizon_days=floats("horizon_days", 1.0),
        window_days=floats("window_days", 1).astype(np.int64),
    )
    return ResolvedLimits(
        limits=limits, ids=rows["id"].to_numpy(dtype=np.int64) if n else np.zeros(0, np.int64), rows=rows
    )


def bucket_names(loaded: LoadedBook, rows: pd.DataFrame, buckets: np.ndarray) -> list[str]:
    """The evaluation's bucket per limit (`rows` from ResolvedLimits.rows, or a subset, with the
    evaluation's buckets aligned) as a name: the scoped bucket as the limit names it, the largest
    bucket of a portfolio-scoped per-bucket type (symbol, sector...), else ""."""
    out = []
    columns = (rows[c].to_numpy(dtype=object) for c in ("limit_type", "scope", "scope_value"))
    for limit_type, scope, scope_value, code in zip(*columns, buckets, strict=True):
        if scope != "portfolio":
            out.append(str(scope_value))
            continue
        kind = _LARGEST_KIND.get(limit_type)
        names = _names(loaded, kind) if kind else []
        out.append(names[int(code)] if kind and 0 <= int(code) < len(names) else "")
    return out


def measure_of(limit_type: str) -> str:
    return catalog.BY_CODE[limit_type].measure


# --- reads for the API ----------------------------------------------------------------------------


def limits_visible(portfolio_ids: Iterable[int] | None) -> QuerySet:
    """Global defaults plus the limits of these portfolios (None: every limit), in one query."""
    qs = RiskLimit.objects.select_related("portfolio", "created_by")
    if portfolio_ids is None:
        return qs
    return qs.filter(Q(portfolio__isnull=True) | Q(portfolio_id__in=portfolio_ids))


def limits_none() -> QuerySet:
    return RiskLimit.objects.none()


def limit_get(limit_id: int) -> RiskLimit | None:
    return RiskLimit.objects.select_related("portfolio", "created_by").filter(pk=limit_id).first()


def limit_changes(limit_id: int) -> QuerySet:
    """The audit rows of one limit (also once it is deleted)."""
    return LimitChange.objects.filter(limit_id=limit_id).select_related("changed_by")


def limit_changes_none() -> QuerySet:
    return LimitChange.objects.none()


def limit_owner(limit_id: int) -> tuple[bool, str | None]:
    """(known, portfolio code) of a limit, or of a deleted one from its last audit row; the code is
    None for a global default; (False, None) when the id was never a limit."""
    limit = RiskLimit.objects.select_related("portfolio").filter(pk=limit_id).first()
    if limit is not None:
        return True, limit.portfolio.code if limit.portfolio_id else None
    last = LimitChange.objects.filter(limit_id=limit_id).order_by("-changed_at", "-id").first()
    if last is None:
        return False, None
    return True, last.portfolio_code or None
