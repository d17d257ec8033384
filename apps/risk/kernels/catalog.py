"""The limit types the risk engine knows: what each measures, the scopes it accepts and how its
thresholds are expressed. Pure data, shared by the models (choices), the limit validation, the
evaluation kernel and the docs, so a type is declared once.

Units of a threshold:
- "money" types measure an amount in the portfolio's base currency; their thresholds are either
  absolute (`unit="absolute"`, in base currency) or a fraction of NAV (`unit="pct_nav"`: 0.05 = 5 %).
- "ratio" types measure a dimensionless fraction (e.g. position / ADV, gross / NAV); their thresholds
  are fractions (`unit="ratio"`).

Scopes: "portfolio" means the whole book; for types with a per-bucket figure (one instrument, one
sector...) a portfolio-scoped limit applies to the largest bucket (max over the book). A scoped limit
names its bucket in `scope_value` (a symbol, a sector, an industry, an ISO currency).
"""

from __future__ import annotations

from dataclasses import dataclass

SCOPES = ("portfolio", "instrument", "sector", "industry", "currency")
UNITS = ("absolute", "pct_nav", "ratio")
MONEY, RATIO = "money", "ratio"


@dataclass(frozen=True)
class LimitType:
    code: str
    measure: str  # MONEY or RATIO
    scopes: tuple[str, ...]
    label: str
    description: str

    @property
    def units(self) -> tuple[str, ...]:
        return ("absolute", "pct_nav") if self.measure == MONEY else ("ratio",)


LIMIT_TYPES: tuple[LimitType, ...] = (
    LimitType(
        "max_position",
        MONEY,
        ("portfolio", "instrument"),
        "Max position",
        "|market value| of one instrument (portfolio scope: the largest position).",
    ),
    LimitType(
        "concentration_limit",
        RATIO,
        ("portfolio", "instrument"),
        "Concentration",
        "|market value| of one instrument / gross exposure (portfolio scope: the largest).",
    ),
    LimitType(
        "var_limit",
        MONEY,
        ("portfolio",),
        "Value at Risk",
        "Historical VaR of the book (a positive loss) at the limit's confidence and horizon.",
    ),
    LimitType(
        "expected_shortfall_limit",
        MONEY,
        ("portfolio",),
        "Expected Shortfall",
        "Historical ES (mean loss beyond VaR) at the limit's confidence and horizon.",
    ),
    LimitType(
        "gross_exposure",
        MONEY,
        ("portfolio", "sector", "industry", "currency"),
        "Gross exposure",
        "Σ|market value| over the book or the scoped bucket.",
    ),
    LimitType(
        "net_exposure",
        MONEY,
        ("portfolio", "sector", "industry", "currency"),
        "Net exposure",
        "|Σ market value| over the book or the scoped bucket.",
    ),
    LimitType(
        "sector_concentration",
        MONEY,
        ("portfolio", "sector"),
        "Sector concentration",
        "Σ|market value| in one sector (portfolio scope: the largest sector).",
    ),
    LimitType(
        "industry_exposure",
        MONEY,
        ("portfolio", "industry"),
        "Industry exposure",
        "|Σ market value| in one industry (portfolio scope: the largest industry).",
    ),
    LimitType(
        "currency_exposure",
        MONEY,
        ("portfolio", "currency"),
        "Currency exposure",
        "|Σ market value| of instruments quoted in one currency other than base (portfolio scope: the largest).",
    ),
    LimitType(
        "fx_risk",
        MONEY,
        ("portfolio", "currency"),
        "FX risk",
        "FX VaR: Σ over non-base currencies of |net exposure| × the currency's daily volatility × z(confidence)"
        " × √horizon (undiversified, conservative).",
    ),
    LimitType(
        "adv_limit",
        RATIO,
        ("portfolio", "instrument"),
        "ADV participation",
        "|position quantity| / average daily volume (portfolio scope: the least liquid position).",
    ),
    LimitType(
        "turnover_limit",
        MONEY,
        ("portfolio",),
        "Turnover",
        "Traded notional over the limit's window (default 1 day), proposed orders included.",
    ),
    LimitType(
        "leverage",
        RATIO,
        ("portfolio",),
        "Leverage",
        "Gross exposure / NAV.",
    ),
    LimitType(
        "drawdown",
        RATIO,
        ("portfolio",),
        "Drawdown",
        "Fall of NAV from its running peak over the limit's window, as a positive fraction.",
    ),
    LimitType(
        "short_exposure",
        MONEY,
        ("portfolio", "sector", "industry", "currency"),
        "Short exposure",
        "Σ|market value| of short positions in the book or the scoped bucket.",
    ),
)

BY_CODE: dict[str, LimitType] = {t.code: t for t in LIMIT_TYPES}
TYPE_CODES: tuple[str, ...] = tuple(BY_CODE)
SEVERITIES = ("low", "medium", "high", "critical")
STATUSES = ("ok", "warn", "breach", "no_data")  # evaluation outcome; int codes 0..3 in the kernel
