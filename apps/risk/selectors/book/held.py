"""Books as arrays before any price (what book_load takes from the frames), and their trades."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Held:
    """Books as arrays before any price: what book_load takes from the frames (a check keeps it with
    the frames it comes from, so a repeated check skips this step)."""

    ids: pd.Index  # (P,) portfolio pk
    codes: list[str]
    bases: list[str]
    cash: np.ndarray  # (P,)
    rows: np.ndarray  # (K,) each open position's book row
    cols: np.ndarray  # (K,) its column in `symbols`
    symbols: list[str]  # the held symbols, in order of appearance
    qty: np.ndarray  # (K,)


def books_held(frames: tuple[pd.DataFrame, pd.DataFrame]) -> Held:
    pf, pos = frames
    # Plain numpy on the frames' columns: each pandas filter/reindex here cost ~0.5 ms on a check.
    ids = pd.Index(pf["id"].to_numpy(dtype=np.int64))
    rows = ids.get_indexer(pos["portfolio_id"].to_numpy(dtype=np.int64))
    held_here = rows >= 0
    if not held_here.all():  # frames holding other portfolios' positions too
        pos, rows = pos[held_here], rows[held_here]
    # factorize: the held symbols in order of appearance and each position's column in one pass.
    cols, held = pd.factorize(pos["symbol"].to_numpy(dtype=object))
    return Held(
        ids=ids,
        codes=pf["code"].tolist(),
        bases=pf["base_currency"].tolist(),
        cash=pf["cash"].to_numpy(dtype=float),
        rows=rows,
        cols=cols.astype(np.int64),
        symbols=list(held),
        qty=pos["quantity"].to_numpy(dtype=float),
    )


def trades_of(transactions: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """The buys and sells among `transactions` (transactions_frame rows), with their book row."""
    is_trade = np.isin(transactions["type"].to_numpy(dtype=object), ["buy", "sell"])
    return transactions[is_trade].assign(
        row=ids.get_indexer(transactions["portfolio_id"].to_numpy(dtype=np.int64)[is_trade])
    )
