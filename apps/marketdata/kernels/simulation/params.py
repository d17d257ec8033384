"""Parameters of the simulated market and the moments they imply.

Return model, per instrument i in sector s(i), over a step of dt years in regime r:

    log return = (mu_i - ½ m_r² σ_i²) dt + m_r √dt (b_i F + g_i S_s(i) + e_i ε_i) + jumps

F (market), S_s (one per sector) and ε_i are independent standard normals. The loadings come
from each instrument's calm-state vol σ_i and the shares of its variance explained by the market
and by its sector: b_i = σ_i √market_share, g_i = σ_i √sector_share, e_i = σ_i √(1 − both).
So the diffusion covariance is B Bᵀ + diag(e²) and the correlation of two instruments is
market_share between sectors and market_share + sector_share within one (equal shares).
The regime multiplier m_r scales every factor alike, so regimes change vols, not correlations.
Jumps: Poisson arrivals (intensity per year) with normal log sizes, independent per instrument.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class RegimeParams:
    """A 2-state Markov chain, calm (0) and stressed (1); transition probabilities per trading day."""

    enabled: bool = True
    stressed_vol_multiplier: float = 2.5
    p_calm_to_stressed: float = 0.02
    p_stressed_to_calm: float = 0.10

    def __post_init__(self) -> None:
        if self.stressed_vol_multiplier <= 0:
            raise ValueError("stressed_vol_multiplier must be positive")
        for name in ("p_calm_to_stressed", "p_stressed_to_calm"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be a probability")

    @property
    def stationary_stressed(self) -> float:
        """Long-run share of time spent stressed."""
        if not self.enabled:
            return 0.0
        total = self.p_calm_to_stressed + self.p_stressed_to_calm
        return self.p_calm_to_stressed / total if total > 0 else 0.0

    def multipliers(self) -> np.ndarray:
        return np.array([1.0, self.stressed_vol_multiplier])


@dataclass(frozen=True)
class JumpParams:
    """Compound Poisson jumps in log price, independent per instrument."""

    enabled: bool = True
    intensity: float = 3.0  # expected jumps per instrument per year
    mean: float = -0.01  # of the log jump size
    std: float = 0.04

    def __post_init__(self) -> None:
        if self.intensity < 0 or self.std < 0:
            raise ValueError("jump intensity and std must be non-negative")

    @property
    def variance_per_year(self) -> float:
        return self.intensity * (self.mean**2 + self.std**2) if self.enabled else 0.0


def _per_instrument(value, n: int, name: str) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


@dataclass(frozen=True, eq=False)
class MarketParams:
    vols: np.ndarray  # (N,) annualized calm-state diffusion vol
    drifts: np.ndarray  # (N,) annualized expected return
    sectors: np.ndarray  # (N,) int sector index, 0..n_sectors-1
    market_share: np.ndarray  # (N,) share of variance from the market factor
    sector_share: np.ndarray  # (N,) share of variance from the sector factor
    regimes: RegimeParams = field(default_factory=RegimeParams)
    jumps: JumpParams = field(default_factory=JumpParams)
    # Microstructure: quoted spread (basis points of mid, calm state), top-of-book size, volume.
    spread_bps: np.ndarray | None = None
    daily_volume: np.ndarray | None = None  # shares per trading day (calm state)
    avg_trade_size: float = 100.0

    def __post_init__(self) -> None:
        n = len(np.atleast_1d(self.vols))
        set_ = object.__setattr__  # frozen: normalize once, here
        set_(self, "vols", _per_instrument(self.vols, n, "vols"))
        set_(self, "drifts", _per_instrument(self.drifts, n, "drifts"))
        set_(self, "sectors", np.broadcast_to(np.asarray(self.sectors, dtype=np.int64), (n,)).copy())
        set_(self, "market_share", _per_instrument(self.market_share, n, "market_share"))
        set_(self, "sector_share", _per_instrument(self.sector_share, n, "sector_share"))
        set_(
            self,
            "spread_bps",
            _per_instrument(5.0 if self.spread_bps is None else self.spread_bps, n, "spread_bps"),
        )
        daily = 1e6 if self.daily_volume is None else self.daily_volume
        set_(self, "daily_volume", _per_instrument(daily, n, "daily_volume"))
        if np.any(self.vols < 0):
            raise ValueError("vols must be non-negative")
        if np.any(self.sectors < 0):
            raise ValueError("sector indices must be non-negative")
        shares = self.market_share + self.sector_share
        if np.any(self.market_share < 0) or np.any(self.sector_share < 0) or np.any(shares > 1):
            raise ValueError("market_share and sector_share must be ≥ 0 and sum to at most 1")
        if np.any(self.spread_bps <= 0):
            raise ValueError("spread_bps must be positive")

    @classmethod
    def universe(
        cls,
        n: int,
        *,
        n_sectors: int = 4,
        sectors: np.ndarray | None = None,
        seed: int = 0,
        vol_range: tuple[float, float] = (0.15, 0.45),
        market_share: float = 0.3,
        sector_share: float = 0.2,
        regimes: RegimeParams | None = None,
        jumps: JumpParams | None = None,
    ) -> MarketParams:
        """N instruments spread round-robin over `n_sectors` (or in the given `sectors`), with vols,
        drifts, spreads and volumes drawn from `seed` (a generator of its own, so the market's
        draws do not depend on it)."""
        if n < 1 or n_sectors < 1:
            raise ValueError("need at least one instrument and one sector")
        if sectors is not None and len(sectors) != n:
            raise ValueError("sectors must give one sector index per instrument")
        rng = np.random.default_rng([seed, 0x5EED])
        vols = rng.uniform(*vol_range, n)
        return cls(
            vols=vols,
            drifts=rng.normal(0.06, 0.04, n),
            sectors=np.arange(n) % n_sectors if sectors is None else sectors,
            market_share=market_share,
            sector_share=sector_share,
            regimes=regimes or RegimeParams(),
            jumps=jumps or JumpParams(),
            spread_bps=rng.uniform(2.0, 10.0, n),
            daily_volume=np.exp(rng.normal(np.log(2e6), 0.7, n)),
        )

    @property
    def n(self) -> int:
        return len(self.vols)

    @property
    def n_sectors(self) -> int:
        return int(self.sectors.max()) + 1

    def loadings(self) -> tuple[np.ndarray, np.ndarray]:
        """(B, e): factor loadings (N × (1 + n_sectors), market first) and idiosyncratic vols (N,)."""
        b = np.zeros((self.n, 1 + self.n_sectors))
        b[:, 0] = self.vols * np.sqrt(self.market_share)
        b[np.arange(self.n), 1 + self.sectors] = self.vols * np.sqrt(self.sector_share)
        idio = self.vols * np.sqrt(np.clip(1.0 - self.market_share - self.sector_share, 0.0, None))
        return b, idio

    def covariance(self) -> np.ndarray:
        """Annualized covariance of diffusion log returns in the calm state."""
        b, idio = self.loadings()
        return b @ b.T + np.diag(idio**2)

    def correlation(self) -> np.ndarray:
        """Correlation of returns implied by the loadings (the same in every regime; jumps, being
        independent per instrument, only dilute it)."""
        cov = self.covariance()
        sd = np.sqrt(np.diag(cov))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov / np.outer(sd, sd)
        corr[~np.isfinite(corr)] = 0.0
        np.fill_diagonal(corr, 1.0)
        return corr

    def vols_by_regime(self) -> np.ndarray:
        """(2, N) annualized diffusion vols in the calm and stressed states."""
        return np.outer(self.regimes.multipliers(), self.vols)

    def long_run_vols(self) -> np.ndarray:
        """Annualized vols averaged over the regimes' stationary mix, jumps included."""
        pi = self.regimes.stationary_stressed
        m2 = (1 - pi) + pi * self.regimes.stressed_vol_multiplier**2
        return np.sqrt(m2 * self.vols**2 + self.jumps.variance_per_year)


# Time: a year has 252 trading days of one 6.5-hour session each. Daily bars step 1/252 of a year;
# intraday and live ticks step their seconds of session time, so a second of a live feed moves a
# price as much as a second of a real session does.
TRADING_DAYS = 252
SESSION_SECONDS = 23_400


def seconds_to_years(seconds: float) -> float:
    return seconds / (TRADING_DAYS * SESSION_SECONDS)
