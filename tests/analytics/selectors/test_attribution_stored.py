"""Attribution derived from the stored book (no `periods` in the body): security contribution and
Brinson-Fachler against model benchmarks, on real S&P 500 and NASDAQ closes (from `arch`) with a EUR
instrument whose EURUSD rate moves every day.

The reference is a plain-Python replay of the same bookings written out in this file: quantities,
cash and NAV day by day, start-of-period weights and base-currency price returns, the textbook
Brinson-Fachler formulas and Carino's linking, all with loops over plain floats."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from arch.data import nasdaq, sp500

from apps.analytics.selectors.returns import portfolio_returns
from apps.marketdata.models import FxRate, Instrument
from apps.marketdata.services import instrument_create
from apps.platform.timestamps import iso_utc
from apps.portfolio.services import portfolio_create, transaction_record
from tests.analytics.market import store_daily_closes

pytestmark = pytest.mark.django_db
URL = "/api/analytics/attribution/{}"
DAYS = 70
D = Decimal


@pytest.fixture(scope="module")
def closes() -> pd.DataFrame:
    """TECH (NASDAQ close), TEC2 (NASDAQ open, for a model only), IDX (S&P 500) and EUX (S&P 500 / 10,
    priced in EUR) on their common dates, and a EURUSD rate wobbling around 1.10."""
    frame = pd.concat(
        [nasdaq.load()["Close"], nasdaq.load()["Open"], sp500.load()["Close"]],
        axis=1,
        keys=["TECH", "TEC2", "IDX"],
    ).dropna()
    frame = frame.iloc[:DAYS].round(4)
    frame.index = pd.DatetimeIndex(frame.index).tz_localize("UTC").as_unit("ns")
    frame["EUX"] = (frame["IDX"] / 10).round(4)
    frame["EURUSD"] = 1.10 * (1 + 0.01 * np.sin(np.arange(DAYS) / 3.0))
    return frame


def _px(value: float) -> Decimal:
    return D(str(round(float(value), 4)))


# (day, kind, symbol, quantity, price multiplier on the close, fees, amount)
BOOKINGS = [
    (0, "deposit", None, None, None, 0, 1_000_000),
    (0, "buy", "TECH", 100, 1.0, 0, None),
    (0, "buy", "IDX", 200, 1.0, 0, None),
    (5, "buy", "EUX", 3000, 1.01, 25, None),  # 1% above the close, a 25 EUR fee: trading residual
    (12, "dividend", "IDX", None, None, 0, 150),
    (20, "sell", "TECH", 50, 1.0, 0, None),
    (20, "fee", None, None, None, 0, 10),
    (30, "deposit", None, None, None, 0, 50_000),
    (45, "withdrawal", None, None, None, 0, 20_000),
    (52, "sell", "EUX", 1000, 0.995, 5, None),
]


@pytest.fixture
def market(db, closes):
    sectors = {"TECH": "Technology", "TEC2": "Technology", "IDX": "Index", "EUX": ""}
    for sym, ccy in (("TECH", "USD"), ("TEC2", "USD"), ("IDX", "USD"), ("EUX", "EUR")):
        inst = instrument_create(symbol=sym, currency=ccy, sector=sectors[sym])
        store_daily_closes(inst, closes[sym], closes[sym])
    FxRate.objects.bulk_create(
        FxRate(base="EUR", quote="USD", ts=ts.to_pydatetime(), rate=float(r))
        for ts, r in closes["EURUSD"].items()
    )
    return closes


@pytest.fixture
def fund(user, market):
    p = portfolio_create(code="fund", name="fund", owner=user, benchmark=Instrument.objects.get(symbol="IDX"))
    for day, kind, sym, qty, mult, fees, amount in BOOKINGS:
        when = market.index[day].to_pydatetime()
        if sym is None or kind == "dividend":
            amt = D(str(amount)) if kind != "dividend" else D(str(amount))
            transaction_record(portfolio=p, type=kind, amount=amt, timestamp=when, instrument=sym)
        else:
            transaction_record(
                portfolio=p,
                type=kind,
                instrument=sym,
                quantity=D(qty),
                price=_px(market[sym].iloc[day] * mult),
                fees=D(str(fees)),
                timestamp=when,
            )
    return p


def _replay(closes: pd.DataFrame):
    """Plain-Python book: per day the quantities and cash after the day's bookings, USD prices, NAV,
    flows and the time-weighted return (r = (NAV - flow) / NAV_prev - 1; 0 before anything is held)."""
    fx = {"TECH": [1.0] * DAYS, "IDX": [1.0] * DAYS, "EUX": list(closes["EURUSD"])}
    qty = {s: 0.0 for s in fx}
    cash = 0.0
    days = []
    for t in range(DAYS):
        flow = 0.0
        for day, kind, sym, q, mult, fees, amount in BOOKINGS:
            if day != t:
                continue
            rate = fx[sym][t] if sym else 1.0
            if kind in ("buy", "sell"):
                sign = 1 if kind == "buy" else -1
                price = float(_px(closes[sym].iloc[t] * mult))
                qty[sym] += sign * q
                cash -= sign * q * price * rate + fees * rate
            elif kind == "deposit":
                cash += amount
                flow += amount
            elif kind == "withdrawal":
                cash -= amount
                flow -= amount
            elif kind == "fee":
                cash -= amount
            elif kind == "dividend":
                cash += amount * rate
        usd = {s: float(closes[s].iloc[t]) * fx[s][t] for s in fx}
        nav = cash + sum(qty[s] * usd[s] for s in fx)
        days.append({"qty": dict(qty), "cash": cash, "usd": usd, "nav": nav, "flow": flow})
    for t, d in enumerate(days):
        prev = days[t - 1]["nav"] if t else 0.0
        d["twr"] = (d["nav"] - d["flow"]) / prev - 1 if prev > 0 else 0.0
    return days


def _periods(closes: pd.DataFrame, frequency: str) -> list[tuple[int, int]]:
    """(start day, end day) of each period: weeks end Sunday, months are calendar months; a period
    starts at the last day of the one before (the first at day 0, where the fund is bought: day 0
    itself is no period)."""
    if frequency == "1d":
        return [(t - 1, t) for t in range(1, DAYS)]
    rule = {"1w": "W-SUN", "1mo": "M"}[frequency]
    keys = closes.index.tz_localize(None).to_period(rule)
    ends = [t for t in range(DAYS) if t == DAYS - 1 or keys[t + 1] != keys[t]]
    return [(ends[k - 1] if k else 0, e) for k, e in enumerate(ends)]


def _post(client, code="fund", **body):
    return client.post(URL.format(code), body, format="json")


@pytest.mark.parametrize("frequency", ["1d", "1w", "1mo"])
def test_contributions_add_up_to_each_stored_period_return(api_client, fund, frequency):
    res = _post(api_client, method="contribution", frequency=frequency)
    out = res.json()
    assert res.status_code == 200, out
    stored = portfolio_returns(portfolio="fund", frequency=frequency).returns
    assert out["source"] == "stored" and out["periods"] == len(stored)
    assert [p["date"] for p in out["by_period"]] == [iso_utc(ts) for ts in stored.index]
    for period, r in zip(out["by_period"], stored, strict=True):
        assert period["portfolio_return"] == r
        assert math.fsum(period["contributions"].values()) == pytest.approx(r, abs=1e-15)
    total = float(np.prod(1 + stored.to_numpy()) - 1)
    assert out["portfolio_return"] == pytest.approx(total, abs=1e-15)
    assert sum(s["return_contribution"] for s in out["securities"]) == pytest.approx(total, abs=1e-13)
    assert sum(s["return_contribution"] for s in out["sectors"]) == pytest.approx(total, abs=1e-13)
    assert out["volatility"] == pytest.approx(np.std(stored.to_numpy(), ddof=1), rel=1e-12)
    assert sum(s["risk_contribution"] for s in out["securities"]) == pytest.approx(
        out["volatility"], rel=1e-9
    )
    assert [s["sector"] for s in out["sectors"]] == ["Index", "Technology", "Unclassified", "Cash"]


def test_daily_contributions_match_a_plain_replay(api_client, fund, closes):
    out = _post(api_client, method="contribution").json()
    days = _replay(closes)
    for (s, e), period in zip(_periods(closes, "1d"), out["by_period"], strict=True):
        start, end = days[s], days[e]
        assert period["portfolio_return"] == pytest.approx(end["twr"], rel=1e-9, abs=1e-15)
        explained = 0.0
        for sym in ("TECH", "IDX", "EUX"):
            # w r = (q P_s / NAV_s)(P_e / P_s - 1) = q (P_e - P_s) / NAV_s, prices in USD
            c = start["qty"][sym] * (end["usd"][sym] - start["usd"][sym]) / start["nav"] if s != e else 0.0
            assert period["contributions"][sym] == pytest.approx(c, rel=1e-9, abs=1e-15), (e, sym)
            explained += c
        residual = period["contributions"]["Cash and trading"]
        assert residual == pytest.approx(end["twr"] - explained, rel=1e-7, abs=1e-13), e
    # The EUX purchase 1% above the close with a fee shows up as cash and trading on day 5.
    day5 = out["by_period"][4]["contributions"]["Cash and trading"]  # periods start at day 1
    eux = 3000 * closes["EUX"].iloc[5] * closes["EURUSD"].iloc[5]
    assert day5 == pytest.approx(-(eux * 0.01 + 25 * closes["EURUSD"].iloc[5]) / days[4]["nav"], rel=1e-3)
    assert [s["symbol"] for s in out["securities"]] == ["EUX", "IDX", "TECH", "Cash and trading"]


def _carino(rp: list[float], rb: list[float]) -> list[float]:
    def ratio(a, b):
        return 1 / (1 + a) if abs(a - b) < 1e-15 else (math.log1p(a) - math.log1p(b)) / (a - b)

    tp = math.prod(1 + x for x in rp) - 1
    tb = math.prod(1 + x for x in rb) - 1
    return [ratio(a, b) / ratio(tp, tb) for a, b in zip(rp, rb, strict=True)]


SECTOR = {"TECH": "Technology", "IDX": "Index", "EUX": "Unclassified"}
MODEL_SECTOR = {**SECTOR, "TEC2": "Technology"}


def test_brinson_against_a_model_of_weights_matches_the_textbook_by_hand(api_client, fund, closes):
    # TEC2 is in the model, not the book: Technology's benchmark return differs from the book's.
    model = {"TECH": 0.3, "TEC2": 0.2, "IDX": 0.3, "EUX": 0.2}
    res = _post(api_client, method="brinson", frequency="1w", benchmark={"weights": model})
    out = res.json()
    assert res.status_code == 200, out
    days = _replay(closes)
    names = ["Index", "Technology", "Unclassified", "Cash"]
    assert [s["sector"] for s in out["sectors"]] == names
    rp_all, rb_all, effects = [], [], []
    for (s, e), period in zip(_periods(closes, "1w"), out["by_period"], strict=True):
        start, end = days[s], days[e]
        ret = {sym: end["usd"][sym] / start["usd"][sym] - 1 for sym in SECTOR}
        ret["TEC2"] = closes["TEC2"].iloc[e] / closes["TEC2"].iloc[s] - 1
        wp = {n: 0.0 for n in names}
        cp = {n: 0.0 for n in names}
        for sym, sector in SECTOR.items():
            wp[sector] += start["qty"][sym] * start["usd"][sym] / start["nav"]
            cp[sector] += start["qty"][sym] * start["usd"][sym] / start["nav"] * ret[sym]
        wp["Cash"] = start["cash"] / start["nav"]
        wb = {n: 0.0 for n in names}
        cb = {n: 0.0 for n in names}
        for sym, w in model.items():
            wb[MODEL_SECTOR[sym]] += w
            cb[MODEL_SECTOR[sym]] += w * ret[sym]
        rb = {n: cb[n] / wb[n] if wb[n] else 0.0 for n in names}  # weight-averaged in each sector
        rp = {n: cp[n] / wp[n] if abs(wp[n]) > 1e-12 else rb[n] for n in names}
        rp["Cash"] = 0.0
        bench_total = sum(wb[n] * rb[n] for n in names)
        held_total = sum(wp[n] * rp[n] for n in names)
        alloc = sum((wp[n] - wb[n]) * (rb[n] - bench_total) for n in names)
        sel = sum(wb[n] * (rp[n] - rb[n]) for n in names)
        inter = sum((wp[n] - wb[n]) * (rp[n] - rb[n]) for n in names)
        stored_r = period["portfolio_return"]
        assert stored_r == pytest.approx(math.prod(1 + days[t]["twr"] for t in range(s + 1, e + 1)) - 1)
        assert period["benchmark_return"] == pytest.approx(bench_total, rel=1e-12, abs=1e-15)
        assert period["allocation"] == pytest.approx(alloc, rel=1e-9, abs=1e-14)
        assert period["selection"] == pytest.approx(sel, rel=1e-9, abs=1e-14)
        assert period["interaction"] == pytest.approx(inter, rel=1e-9, abs=1e-14)
        trading = (stored_r - bench_total) - (alloc + sel + inter)
        assert period["trading"] == pytest.approx(trading, rel=1e-7, abs=1e-12)
        # what the start holdings explain is the holdings' return (cash earns nothing)
        assert alloc + sel + inter == pytest.approx(held_total - bench_total, abs=1e-14)
        rp_all.append(stored_r)
        rb_all.append(bench_total)
        effects.append((alloc, sel, inter, trading))
    k = _carino(rp_all, rb_all)
    for i, name in enumerate(("allocation", "selection", "interaction", "trading")):
        linked = sum(kt * eff[i] for kt, eff in zip(k, effects, strict=True))
        assert out["totals"][name] == pytest.approx(linked, rel=1e-7, abs=1e-12), name
    assert abs(out["totals"]["selection"]) > 1e-4 and abs(out["totals"]["trading"]) > 1e-4
    excess = math.prod(1 + r for r in rp_all) - math.prod(1 + r for r in rb_all)
    assert out["excess_return"] == pytest.approx(excess, abs=1e-13)
    assert out["totals"]["total"] == pytest.approx(out["excess_return"], abs=1e-14)
    assert sum(s["total"] for s in out["sectors"]) + out["totals"]["trading"] == pytest.approx(
        out["excess_return"], abs=1e-14
    )


@pytest.fixture
def index_fund(user, market):
    """Everything in IDX from the first close: a model portfolio to compare against."""
    p = portfolio_create(code="index_fund", name="index fund", owner=user)
    when = market.index[0].to_pydatetime()
    price = _px(market["IDX"].iloc[0])
    transaction_record(portfolio=p, type="deposit", amount=price * 1000, timestamp=when)
    transaction_record(
        portfolio=p, type="buy", instrument="IDX", quantity=D(1000), price=price, timestamp=when
    )
    return p


@pytest.mark.parametrize("linking", ["carino", "menchero"])
def test_brinson_against_another_stored_portfolio(api_client, fund, index_fund, linking):
    res = _post(api_client, method="brinson", benchmark={"portfolio": "index_fund"}, linking=linking)
    out = res.json()
    assert res.status_code == 200, out
    assert out["benchmark"] == {"portfolio": "index_fund"}
    mine = portfolio_returns(portfolio="fund").returns.to_numpy()
    theirs = portfolio_returns(portfolio="index_fund").returns.to_numpy()
    np.testing.assert_allclose([p["portfolio_return"] for p in out["by_period"]], mine, rtol=0, atol=0)
    np.testing.assert_allclose(
        [p["benchmark_return"] for p in out["by_period"]], theirs, rtol=1e-12, atol=1e-15
    )
    index = next(s for s in out["sectors"] if s["sector"] == "Index")
    assert index["benchmark_weight"] == pytest.approx(1.0)  # all of it in IDX, no cash left
    for p in out["by_period"]:
        effects = p["allocation"] + p["selection"] + p["interaction"] + p["trading"]
        assert effects == pytest.approx(p["portfolio_return"] - p["benchmark_return"], abs=1e-15)
    excess = np.prod(1 + mine) - np.prod(1 + theirs)
    assert out["totals"]["total"] == pytest.approx(excess, abs=1e-13)


def test_benchmark_periods_from_the_body_pair_with_the_stored_book(api_client, fund, closes):
    months = closes.index.tz_localize(None).to_period("M").unique()
    periods = [
        {
            "date": str(m.end_time.date()),
            "benchmark": {
                "Index": {"weight": 0.6, "return": 0.01 * i},
                "Cash": {"weight": 0.4, "return": 0.0},
            },
        }
        for i, m in enumerate(months)
    ]
    res = _post(api_client, method="brinson", frequency="1mo", periods=periods)
    out = res.json()
    assert res.status_code == 200, out
    assert out["benchmark"] == {"periods": "body"}
    stored = portfolio_returns(portfolio="fund", frequency="1mo").returns
    assert [p["portfolio_return"] for p in out["by_period"]] == list(stored)
    # Rb = 0.6 x 0.01 i + 0.4 x 0
    assert [p["benchmark_return"] for p in out["by_period"]] == pytest.approx(
        [0.006 * i for i in range(len(months))]
    )
    assert out["totals"]["total"] == pytest.approx(out["excess_return"], abs=1e-14)
    res = _post(api_client, method="brinson", frequency="1mo", periods=periods[:-1])
    assert res.status_code == 400 and "periods" in res.json()


def test_no_model_benchmark_is_400_with_the_reason(api_client, fund):
    res = _post(api_client, method="brinson")
    body = res.json()
    assert res.status_code == 400 and "periods" in body
    assert "IDX is a single instrument" in str(body["benchmark"])
    res = _post(api_client, method="brinson", benchmark="IDX")
    assert res.status_code == 400 and "single instrument" in str(res.json()["benchmark"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"benchmark": {"weights": {"TECH": 0.5, "IDX": 0.4}}}, "benchmark.weights"),
        ({"benchmark": {"weights": {"TECH": 0.5, "NOPE": 0.5}}}, "benchmark.weights.NOPE"),
        ({"benchmark": {"weights": {"TECH": "lots"}}}, "benchmark.weights.TECH"),
        ({"benchmark": {"weights": {"TECH": 1.0}}, "frequency": "5m"}, "frequency"),
        ({"benchmark": {"portfolio": "nope"}}, "benchmark.portfolio"),
        ({"benchmark": {"portfolio": "fund", "weights": {}}}, "benchmark"),
        ({"benchmark": {"weights": {"TECH": 1.0}}, "start": "2030-01-01"}, "period"),
    ],
)
def test_bad_model_input_is_400_with_the_field(api_client, fund, body, field):
    res = _post(api_client, method="brinson", **body)
    assert res.status_code == 400, res.json()
    assert field in res.json()


def test_intraday_frequency_is_400_for_stored_factor_and_contribution(api_client, fund):
    for body in (
        {"method": "factor", "factors": {"m": {"1999-01-05": 0.01}}, "frequency": "5m"},
        {"method": "contribution", "frequency": "1h"},
    ):
        res = _post(api_client, **body)
        assert res.status_code == 400 and "frequency" in res.json()


def test_benchmark_portfolio_of_someone_else_is_403(api_client, other_user, fund):
    other = portfolio_create(code="theirs", name="theirs", owner=other_user)
    transaction_record(
        portfolio=other, type="deposit", amount=D(100), timestamp=pd.Timestamp("2000-01-03", tz="UTC")
    )
    res = _post(api_client, method="brinson", benchmark={"portfolio": "theirs"})
    assert res.status_code == 403


def test_contribution_without_transactions_is_400(api_client, user, market):
    portfolio_create(code="empty", name="empty", owner=user)
    res = _post(api_client, "empty", method="contribution")
    assert res.status_code == 400 and "period" in res.json()


def test_ex_post_risk_contribution_kernel_by_hand():
    from apps.analytics.kernels.attribution import contribution_to_risk_ex_post

    c = np.array([[0.01, 0.02], [0.03, -0.01], [-0.02, 0.00]])
    # R = (0.03, 0.02, -0.02), mean 0.01, deviations d = (0.02, 0.01, -0.03): var = 0.0014 / 2 = 0.0007
    # cov(c_i, R) = Σ_t c_it d_t / 2 (the deviations sum to zero):
    # item 1: (0.01 x 0.02 + 0.03 x 0.01 + -0.02 x -0.03) / 2 = 0.0011 / 2 = 0.00055
    # item 2: (0.02 x 0.02 + -0.01 x 0.01 + 0 x -0.03) / 2 = 0.0003 / 2 = 0.00015; together 0.0007
    risk, vol = contribution_to_risk_ex_post(c)
    assert vol == pytest.approx(math.sqrt(0.0007), rel=1e-12)
    np.testing.assert_allclose(risk, [0.00055 / math.sqrt(0.0007), 0.00015 / math.sqrt(0.0007)], rtol=1e-12)
    assert risk.sum() == pytest.approx(vol, rel=1e-12)
    many, vols = contribution_to_risk_ex_post(np.stack([c, 2 * c]))  # portfolios on a leading axis
    np.testing.assert_allclose(many[1], 2 * risk, rtol=1e-12)
    assert np.isnan(contribution_to_risk_ex_post(c[:1])[1])  # one period: no volatility
