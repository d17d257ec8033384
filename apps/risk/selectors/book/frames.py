"""One portfolio's book frames by code, id or PortfolioInfo (the check's way in)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from apps.portfolio import facade as portfolio_facade

from .market import cache


def portfolio_frames(portfolio) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`portfolio_facade.book_frames` of one portfolio given by code, id (an int: read directly; a
    numeric string is a code first, as everywhere) or PortfolioInfo. A code's id is cached:
    portfolio_get builds an ORM row per position (≈ 20 ms for 500), book_frames reads them as values. A stale id (the portfolio re-created) falls back to
    portfolio_get. Unknown portfolio: ValidationError keyed `portfolio`."""
    if hasattr(portfolio, "positions") and hasattr(portfolio, "id"):
        return _info_frames(portfolio)
    if isinstance(portfolio, int | np.integer):  # an id (the API view has just looked it up)
        pf, pos = portfolio_facade.book_frames([int(portfolio)])
        if not len(pf):
            raise ValidationError({"portfolio": f"Unknown portfolio id {portfolio}."})
        return pf, pos
    key = str(portfolio)
    hit = cache.get_many("pfid", [key]).get(key)
    if hit is not None:
        pf, pos = portfolio_facade.book_frames([hit])
        if len(pf) and key in (str(pf["code"].iat[0]), str(pf["id"].iat[0])):
            return pf, pos
    info = portfolio_facade.portfolio_get(portfolio)
    if info is None:
        raise ValidationError({"portfolio": f"Unknown portfolio {portfolio!r}."})
    cache.put_many("pfid", {key: info.id})
    return _info_frames(info)


def _info_frames(info) -> tuple[pd.DataFrame, pd.DataFrame]:
    pf = pd.DataFrame(
        [[info.id, info.code, info.base_currency, float(info.cash), info.long_only]],
        columns=["id", "code", "base_currency", "cash", "long_only"],
    )
    pos = pd.DataFrame(
        [[info.id, x.instrument_id, x.symbol, float(x.quantity)] for x in info.positions if x.quantity != 0],
        columns=["portfolio_id", "instrument_id", "symbol", "quantity"],
    )
    return pf, pos
