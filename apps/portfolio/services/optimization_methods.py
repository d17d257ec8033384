"""Method dispatch: one small function per method maps a request's parameters onto its kernel
(kernels/optimization/methods) and says what the method adds to the stored answer's `details`.

Every solver takes a `Problem` (the estimates, the constraints over the kept assets, the request's
params) and answers `(kernel answer, details)`; `METHODS` is the registry the API's choices and the
service's check come from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.core.exceptions import ValidationError

from ..kernels import optimization as opt
from ..kernels.optimization.methods import market_implied_returns
from ..models import Portfolio
from ..selectors.optimization_inputs import Inputs
from ..selectors.optimization_params import Benchmark, benchmark_from_params, views_from_params

FRONTIER_POINTS = 20
BL_RISK_AVERSION = 2.5  # He and Litterman's delta when none is given
BL_TAU = 0.05


@dataclass(frozen=True)
class Problem:
    est: opt.Estimates
    inputs: Inputs
    constraints: opt.Constraints
    params: dict
    symbols: list[str]  # the kept assets, in the estimates' order
    portfolio: Portfolio
    user: object = None
    pins: dict = field(default_factory=dict)  # what a re-run must reuse (a portfolio benchmark's weights)

    @property
    def rf(self) -> float:
        return float(self.params.get("risk_free_rate", 0.0))


Answer = tuple[object, dict]


def _by_symbol(symbols, values) -> dict[str, float]:
    return {s: float(v) for s, v in zip(symbols, values, strict=True)}


def _min_variance(p: Problem) -> Answer:
    return opt.min_variance(p.est.cov, p.constraints, mu=p.est.mu, risk_free_rate=p.rf), {}


def _max_sharpe(p: Problem) -> Answer:
    return opt.max_sharpe(p.est.mu, p.est.cov, p.constraints, risk_free_rate=p.rf), {}


def _efficient_return(p: Problem) -> Answer:
    target = float(p.params["target_return"])
    return opt.efficient_return(p.est.mu, p.est.cov, target, p.constraints, risk_free_rate=p.rf), {}


def _efficient_risk(p: Problem) -> Answer:
    target = float(p.params["target_volatility"])
    return opt.efficient_risk(p.est.mu, p.est.cov, target, p.constraints, risk_free_rate=p.rf), {}


def _max_utility(p: Problem) -> Answer:
    delta = float(p.params["risk_aversion"])
    return opt.max_utility(p.est.mu, p.est.cov, delta, p.constraints, risk_free_rate=p.rf), {}


def _frontier(p: Problem) -> Answer:
    points = int(p.params.get("points", FRONTIER_POINTS))
    return opt.efficient_frontier(p.est.mu, p.est.cov, p.constraints, points=points, risk_free_rate=p.rf), {}


def _risk_parity(p: Problem) -> Answer:
    budgets = p.params.get("budgets")
    if budgets is not None:
        budgets = np.array([float(budgets.get(s, 0.0)) for s in p.symbols])
    return opt.risk_parity(p.est.cov, p.constraints, budgets=budgets, mu=p.est.mu, risk_free_rate=p.rf), {}


def _hrp(p: Problem) -> Answer:
    return opt.hrp(p.est.cov, p.constraints, mu=p.est.mu, risk_free_rate=p.rf), {}


def _min_cvar(p: Problem) -> Answer:
    scenarios = p.inputs.returns[np.ix_(p.est.dates, p.est.assets)]
    answer = opt.min_cvar(
        scenarios,
        p.constraints,
        beta=float(p.params.get("beta", 0.95)),
        target_return=p.params.get("target_return"),
        cov=p.est.cov,
        mu=p.est.mu,
        risk_free_rate=p.rf,
    )
    return answer, {}


def _max_diversification(p: Problem) -> Answer:
    return opt.max_diversification(p.est.cov, p.constraints, mu=p.est.mu, risk_free_rate=p.rf), {}


def _benchmark(p: Problem) -> Benchmark:
    pinned = p.pins.get("benchmark")
    if pinned is not None:
        # a re-run reuses the weights the first run resolved (a portfolio's weights move with prices)
        return Benchmark(np.array([pinned["weights"].get(s, 0.0) for s in p.symbols]), pinned["source"])
    return benchmark_from_params(
        p.params.get("benchmark"), portfolio=p.portfolio, symbols=p.symbols, user=p.user
    )


def _tracking_error(p: Problem) -> Answer:
    """The most expected active return with tracking error <= params.tracking_error against the
    benchmark (selectors/optimization_params.py for its forms and the inside-the-universe rule)."""
    bench = _benchmark(p)
    cap = float(p.params["tracking_error"])
    answer = opt.max_active_return(
        p.est.mu, p.est.cov, bench.weights, cap, p.constraints, risk_free_rate=p.rf
    )
    details = {
        "benchmark": {"weights": _by_symbol(p.symbols, bench.weights), "source": bench.source},
        "tracking_error": {"cap": cap, "achieved": None, "active_return": None},
    }
    if isinstance(answer, opt.OptimizationResult) and answer.ok:
        active = answer.weights - bench.weights
        details["tracking_error"] |= {
            "achieved": float(np.sqrt(max(active @ p.est.cov @ active, 0.0))),
            "active_return": float(p.est.mu @ active),
            "active_weights": _by_symbol(p.symbols, active),
        }
    return answer, details


def _black_litterman(p: Problem) -> Answer:
    """Views with confidences on a market-implied prior. No market capitalizations are stored, so
    the prior's market portfolio is the benchmark (`params.prior` "benchmark") or equal weights
    (the default); the answer says which."""
    omega = p.params.get("omega", "idzorek")
    views = views_from_params(p.params["views"], p.symbols, omega=omega)
    delta = float(p.params.get("risk_aversion", BL_RISK_AVERSION))
    tau = float(p.params.get("tau", BL_TAU))
    details: dict = {}
    if p.params.get("prior", "equal") == "benchmark":
        bench = _benchmark(p)
        market, source = bench.weights, f"benchmark weights ({bench.source})"
        details["benchmark"] = {"weights": _by_symbol(p.symbols, bench.weights), "source": bench.source}
    else:
        market, source = np.full(len(p.symbols), 1.0 / len(p.symbols)), "equal weights"
    prior = market_implied_returns(p.est.cov, market, delta, p.rf)
    try:
        post = opt.posterior(
            p.est.cov, prior, views.picks, views.returns, tau=tau, confidences=views.confidences
        )
    except ValueError as exc:
        raise ValidationError({"params.views": str(exc)}) from exc
    answer = opt.black_litterman(
        p.est.cov,
        market,
        views.picks,
        views.returns,
        p.constraints,
        risk_aversion=delta,
        tau=tau,
        confidences=views.confidences,
        risk_free_rate=p.rf,
        objective=p.params.get("objective", "max_sharpe"),
    )
    omega_diag = np.diag(post.omega)
    used = set(post.views_used.tolist())
    described = [{**v, "used": k in used} for k, v in enumerate(views.described)]
    for position, k in enumerate(post.views_used.tolist()):
        described[k]["omega"] = float(omega_diag[position])
    details["black_litterman"] = {
        "prior_source": f"market-implied from {source}: no market capitalizations are stored",
        "uses": "the estimator's covariance; its expected returns are replaced by the posterior",
        "prior_weights": _by_symbol(p.symbols, market),
        "prior": _by_symbol(p.symbols, post.prior),
        "posterior": _by_symbol(p.symbols, post.returns),
        "risk_aversion": delta,
        "tau": tau,
        "omega": "Idzorek (confidences, Walters' closed form)" if omega == "idzorek" else "He-Litterman",
        "objective": p.params.get("objective", "max_sharpe"),
        "views": described,
    }
    return answer, details


METHODS: dict[str, Callable[[Problem], Answer]] = {
    "min_variance": _min_variance,
    "max_sharpe": _max_sharpe,
    "efficient_return": _efficient_return,
    "efficient_risk": _efficient_risk,
    "max_utility": _max_utility,
    "frontier": _frontier,
    "risk_parity": _risk_parity,
    "hrp": _hrp,
    "min_cvar": _min_cvar,
    "max_diversification": _max_diversification,
    "black_litterman": _black_litterman,
    "tracking_error": _tracking_error,
}


def method_solve(method: str, problem: Problem) -> Answer:
    """The kernel's answer (OptimizationResult, Infeasible, or a Frontier for "frontier") and the
    method's details."""
    solver = METHODS.get(method)
    if solver is None:
        raise ValidationError({"method": f"unknown method {method!r}; one of {', '.join(METHODS)}"})
    return solver(problem)
