"""ws/stream applies the REST API's visibility rule to every event: replayed and live, on every pattern.

alice owns alice_001, mallory owns mal_001 and mal_shared (shared with alice through a group); ops
is staff. Each event below is what a publisher sends (payload shapes copied from
apps/portfolio/services, apps/risk/services, apps/analytics, apps/platform/services) with the set of
users who may see it by the REST rules (owner, group, staff; a job's creator and staff).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token

from apps.marketdata.services import instrument_create
from apps.platform import bus
from apps.platform.models import Job
from apps.platform.services import job_begin
from apps.portfolio.services import portfolio_create, transaction_record
from apps.streaming.selectors import visibility

from .wsclient import connect, events_until, publish, subscribe

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
EVERYONE = frozenset({"alice", "mallory"})  # staff (ops) sees every event


@dataclass(frozen=True)
class World:
    tokens: dict[str, str]
    p: dict[str, object]  # code -> Portfolio
    jobs: dict[str, str]  # "alice" | "mallory" | "system" -> job id
    group: Group


@pytest.fixture
def world(user, other_user, staff_user):
    group = Group.objects.create(name="desk")
    user.groups.add(group)
    p = {
        "alice_001": portfolio_create(code="alice_001", name="A", owner=user),
        "mal_001": portfolio_create(code="mal_001", name="M", owner=other_user),
        "mal_shared": portfolio_create(code="mal_shared", name="S", owner=other_user, group=group),
    }
    jobs = {
        name: str(
            Job.objects.create(engine="risk", name="apps.risk.tasks_reports.report_generate", created_by=u).pk
        )
        for name, u in (("alice", user), ("mallory", other_user), ("system", None))
    }
    tokens = {u.username: Token.objects.create(user=u).key for u in (user, other_user, staff_user)}
    return World(tokens, p, jobs, group)


def _breach(w: World, code: str) -> dict:
    return {
        "id": 7,
        "portfolio": code,
        "portfolio_id": w.p[code].pk,
        "limit_type": "var_limit",
        "level": "breach",
    }


def catalogue(w: World) -> list[tuple[str, dict, frozenset[str]]]:
    a, m, s = w.p["alice_001"], w.p["mal_001"], w.p["mal_shared"]
    ja, jm, js = w.jobs["alice"], w.jobs["mallory"], w.jobs["system"]
    alice, mallory, nobody = frozenset({"alice"}), frozenset({"mallory"}), frozenset()
    return [
        (
            f"trading.executions.{a.code}",
            {"transaction_id": 1, "portfolio": a.code, "portfolio_id": a.pk},
            alice,
        ),
        (
            f"trading.executions.{m.code}",
            {"transaction_id": 2, "portfolio": m.code, "portfolio_id": m.pk},
            mallory,
        ),
        (
            f"trading.positions.{m.code}",
            {"portfolio": m.code, "portfolio_id": m.pk, "symbol": "AAPL"},
            mallory,
        ),
        (
            f"trading.positions.{s.code}",
            {"portfolio": s.code, "portfolio_id": s.pk, "symbol": "AAPL"},
            EVERYONE,
        ),
        ("trading.orders.O1", {"i": 1}, EVERYONE),
        (f"risk.breaches.{m.code}", {"event": "opened", "breach": _breach(w, m.code)}, mallory),
        (f"risk.breaches.{a.code}", {"event": "opened", "breach": _breach(w, a.code)}, alice),
        (
            f"risk.alerts.{m.code}",
            {"type": "risk.breach.escalated", "level": 1, "breach": _breach(w, m.code)},
            mallory,
        ),
        ("risk.alerts.reports", {"job_id": jm, "portfolios": [m.code], "format": "pdf"}, mallory),
        # alice's job, but it names a portfolio she may not view: staff only.
        ("risk.alerts.reports", {"job_id": ja, "portfolios": [a.code, m.code], "format": "pdf"}, nobody),
        (f"risk.limits.{a.code}", {"action": "created", "limit": 1, "portfolio": a.code}, alice),
        ("risk.limits.global", {"action": "created", "limit": 2, "portfolio": None}, EVERYONE),
        ("risk.alerts.monitor", {"event": "started", "by": "ops"}, EVERYONE),
        (
            f"analytics.performance.{m.code}",
            {"portfolio": m.code, "summary": {"pnl": 1.0}, "positions": []},
            mallory,
        ),
        (f"analytics.reports.{a.code}", {"job_id": ja, "portfolio": a.code, "format": "html"}, alice),
        (f"analytics.reports.{m.code}", {"job_id": jm, "portfolio": m.code, "format": "html"}, mallory),
        (f"system.jobs.{ja}", {"job_id": ja, "state": "running", "progress": 0}, alice),
        (f"system.jobs.{jm}", {"job_id": jm, "state": "running", "progress": 0}, mallory),
        (f"system.jobs.{js}", {"job_id": js, "state": "running", "progress": 0}, nobody),
        ("market.data.bars.AAPL", {"symbol": "AAPL", "close": 150.0}, EVERYONE),
        ("system.health.platform", {"status": "healthy"}, EVERYONE),
    ]


def _sees(viewer: str, who: frozenset[str]) -> bool:
    return viewer == "ops" or viewer in who


async def _publish_all(entries) -> list[tuple[str, str, frozenset[str]]]:
    return [(await publish(topic, payload), topic, who) for topic, payload, who in entries]


@pytest.mark.parametrize("pattern", ["#", "trading.#", "risk.#", "analytics.#", "system.jobs.*"])
async def test_each_user_gets_only_what_it_may_view_replayed_and_live(fresh_bus, world, pattern):
    entries = catalogue(world)
    matching = [e for e in entries if bus.topic_matches(pattern, e[0])]
    replay_ids = await _publish_all(matching)
    comms = {}
    for viewer in ("alice", "mallory", "ops"):
        comms[viewer] = await connect(f"/ws/stream?token={world.tokens[viewer]}")
        ack, replayed = await subscribe(comms[viewer], [pattern], last_id="0-0")
        expected = [eid for eid, _, who in replay_ids if _sees(viewer, who)]
        assert ack["replayed"] == len(expected)
        assert [m["id"] for m in replayed] == expected, viewer

    live_ids = await _publish_all(matching)
    # A last event each viewer may see marks the end of what it must have received.
    fences = {}
    for viewer in ("alice", "mallory"):
        topic, payload, who = next(e for e in matching if viewer in e[2] and e[2] != EVERYONE)
        fences[viewer] = (await publish(topic, payload), topic, who)
    fences["ops"] = fences["mallory"]
    order = [*live_ids, fences["alice"], fences["mallory"]]
    for viewer, comm in comms.items():
        got = await events_until(comm, fences[viewer][0])
        expected = [eid for eid, _, who in order if _sees(viewer, who)]
        assert [m["id"] for m in got] == expected[: expected.index(fences[viewer][0]) + 1], viewer
        await comm.disconnect()


async def test_real_publishers_bookings_and_job_events_reach_only_their_owner(fresh_bus, world):
    def book_and_run_jobs():
        instrument_create(symbol="AAPL", name="Apple")
        for code in ("mal_001", "alice_001"):
            portfolio = world.p[code]
            transaction_record(portfolio=portfolio, type="deposit", amount=Decimal("1000"))
            transaction_record(
                portfolio=portfolio, type="buy", instrument="AAPL", quantity=Decimal("1"), price=Decimal("10")
            )
        job_begin(job_id=world.jobs["mallory"])
        job_begin(job_id=world.jobs["alice"])

    comm = await connect(f"/ws/stream?token={world.tokens['alice']}")
    await subscribe(comm, ["#"])
    await sync_to_async(book_and_run_jobs)()
    fence = await publish("market.data.bars.ZZZ", {"symbol": "ZZZ"})
    got = [
        (m["topic"], m["payload"].get("portfolio") or m["payload"].get("job_id"))
        for m in await events_until(comm, fence)
    ]
    assert got == [
        ("trading.positions.alice_001", "alice_001"),  # the deposit (kind cash)
        ("trading.executions.alice_001", "alice_001"),
        ("trading.positions.alice_001", "alice_001"),
        (f"system.jobs.{world.jobs['alice']}", world.jobs["alice"]),
        ("market.data.bars.ZZZ", None),
    ]
    await comm.disconnect()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(visibility, "monotonic", c)
    return c


@pytest.fixture
def loads(monkeypatch):
    """Every database load of a viewable set, by user id."""
    calls: list[int] = []
    real = visibility._load

    async def counting(user_id):
        calls.append(user_id)
        return await real(user_id)

    monkeypatch.setattr(visibility, "_load", counting)
    return calls


async def test_cached_per_connection_and_a_portfolio_created_after_connect_becomes_visible(
    fresh_bus, world, clock, loads, user
):
    comm = await connect(f"/ws/stream?token={world.tokens['alice']}")
    await subscribe(comm, ["trading.#"])
    mine, theirs = [], []
    for i in range(10):
        theirs.append(await publish("trading.executions.mal_001", {"portfolio": "mal_001", "i": i}))
        mine.append(await publish("trading.executions.alice_001", {"portfolio": "alice_001", "i": i}))
    assert [m["id"] for m in await events_until(comm, mine[-1])] == mine
    assert len(loads) == 1  # twenty portfolio events, one query

    await sync_to_async(portfolio_create)(code="alice_002", name="new", owner=user)
    new = await publish("trading.executions.alice_002", {"portfolio": "alice_002"})
    assert [m["id"] for m in await events_until(comm, new)] == [new]
    assert len(loads) == 2
    await publish("trading.executions.mal_001", {"portfolio": "mal_001"})  # known, denied: no query
    fence = await publish("trading.executions.alice_002", {"portfolio": "alice_002"})
    assert [m["id"] for m in await events_until(comm, fence)] == [fence]
    assert len(loads) == 2
    await comm.disconnect()


async def test_sharing_and_unsharing_after_connect_take_effect_at_the_refresh(
    fresh_bus, world, clock, loads, user, settings
):
    settings.STREAM_VISIBILITY_REFRESH_SECONDS = 30
    comm = await connect(f"/ws/stream?token={world.tokens['alice']}")
    await subscribe(comm, ["risk.breaches.*"])

    async def round_trip() -> list[str]:
        """Publish mallory's then alice's breach; the topics alice received up to her own."""
        await publish("risk.breaches.mal_001", {"breach": _breach(world, "mal_001")})
        fence = await publish("risk.breaches.alice_001", {"breach": _breach(world, "alice_001")})
        return [m["topic"] for m in await events_until(comm, fence)]

    assert await round_trip() == ["risk.breaches.alice_001"]
    portfolio = world.p["mal_001"]
    portfolio.group = world.group
    await sync_to_async(portfolio.save)()
    assert await round_trip() == ["risk.breaches.alice_001"]  # cached until the refresh
    clock.now += 30
    assert await round_trip() == ["risk.breaches.mal_001", "risk.breaches.alice_001"]
    await sync_to_async(user.groups.remove)(world.group)
    clock.now += 30
    assert await round_trip() == ["risk.breaches.alice_001"]
    assert len(loads) == 3
    await comm.disconnect()


async def test_staff_flag_granted_after_connect_counts_at_the_refresh(fresh_bus, world, clock, user):
    comm = await connect(f"/ws/stream?token={world.tokens['alice']}")
    await subscribe(comm, ["system.jobs.*"])
    js, ja = world.jobs["system"], world.jobs["alice"]
    await publish(f"system.jobs.{js}", {"job_id": js})
    fence = await publish(f"system.jobs.{ja}", {"job_id": ja})
    assert [m["id"] for m in await events_until(comm, fence)] == [fence]
    user.is_staff = True
    await sync_to_async(user.save)()
    clock.now += visibility.refresh_seconds()
    fence = await publish(f"system.jobs.{js}", {"job_id": js})
    assert [m["id"] for m in await events_until(comm, fence)] == [fence]
    await comm.disconnect()
