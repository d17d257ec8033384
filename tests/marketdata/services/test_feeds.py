"""Live and replay feeds: the API (validation, permissions), the runner driven by a fake clock
(events on the real bus, bars in the real database), and the feed_run process itself."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from django.db import connection

from apps.marketdata.models import Bar, FeedSession, FeedState
from apps.marketdata.selectors.ingest.bars import bars_out_of_range
from apps.marketdata.services import storage
from apps.marketdata.services.feeds import control
from apps.marketdata.services.feeds import sessions as services
from apps.marketdata.services.feeds.events import symbol_segment
from apps.marketdata.services.feeds.live import LiveFeed
from apps.marketdata.services.feeds.runner import FeedRunner
from apps.platform import bus

ROOT = Path(__file__).resolve().parents[3]
T0 = dt.datetime(2024, 3, 4, 12, 0, 30, tzinfo=dt.UTC).timestamp()  # half way through a minute
PROCESS_BOUND = 60  # seconds allowed for the real feed_run process to start, react and stop


def _events(pattern: str) -> list:
    return list(bus.subscribe(pattern, last_id="0", follow=False))


def _times(start: float, stop: float, step: float) -> list[float]:
    """start, start + step, ..., stop (inclusive; counted in steps, so no float drift drops the end)."""
    return [start + i * step for i in range(round((stop - start) / step) + 1)]


def _run(runner: FeedRunner, start: float, stop: float, step: float = 0.5) -> None:
    for now in _times(start, stop, step):
        runner.run_once(now)


# --- API: permissions and validation --------------------------------------------------------------

URL = "/api/marketdata/feeds/"


@pytest.mark.django_db
def test_reads_need_authentication_and_writes_need_staff(anon_client, api_client, staff_client, instruments):
    assert anon_client.get(URL).status_code in (401, 403)
    assert api_client.get(URL).status_code == 200
    for path, body in [
        (URL + "live/start", {"symbols": ["AAPL"]}),
        (URL + "replay/start", {"start": "2024-01-01T00:00:00Z", "end": "2024-02-01T00:00:00Z"}),
    ]:
        assert api_client.post(path, body, format="json").status_code == 403
        assert anon_client.post(path, body, format="json").status_code in (401, 403)
    feed = services.feed_live_start(symbols=["AAPL"], seed=1)
    assert api_client.post(f"{URL}{feed.pk}/stop").status_code == 403
    assert FeedSession.objects.get(pk=feed.pk).state == FeedState.PENDING
    assert api_client.get(f"{URL}{feed.pk}").json()["state"] == "pending"


@pytest.mark.django_db
def test_live_start_validation_names_the_field(staff_client, instruments):
    cases = [
        ({"symbols": ["AAPL", "NOPE"]}, "symbols", "NOPE"),
        ({"rate": 0}, "rate", ""),
        ({"rate": 500}, "rate", ""),
        ({"interval": "2m"}, "interval", ""),
        ({"depth": -1}, "depth", ""),
        ({"seed": "abc"}, "seed", ""),
        ({"symbols": "AAPL", "rate": 20, "depth": 5}, None, None),  # fine: 40 events/s
    ]
    for body, field, text in cases:
        resp = staff_client.post(URL + "live/start", body, format="json")
        if field is None:
            assert resp.status_code == 202, resp.json()
            continue
        assert resp.status_code == 400, (body, resp.json())
        assert field in resp.json() and text in str(resp.json()[field]), resp.json()


@pytest.mark.django_db
def test_live_start_refuses_a_second_live_feed_on_the_same_bars(staff_client, instruments):
    first = staff_client.post(URL + "live/start", {"symbols": ["AAPL", "MSFT"], "seed": 3}, format="json")
    assert first.status_code == 202
    body = first.json()
    assert body["state"] == "pending" and body["symbols"] == ["AAPL", "MSFT"]
    assert first["Location"].endswith(f"/api/marketdata/feeds/{body['id']}")
    assert body["config"] == {
        "symbols": ["AAPL", "MSFT"],
        "rate": 1.0,
        "interval": "1m",
        "seed": 3,
        "depth": 5,
    }
    clash = staff_client.post(URL + "live/start", {"symbols": ["msft", "JPM"]}, format="json")
    assert clash.status_code == 400 and f"#{body['id']}" in clash.json()["symbols"][0]
    # Another interval stores other bars: allowed. So is the same symbol once the first one stopped.
    assert (
        staff_client.post(
            URL + "live/start", {"symbols": ["MSFT"], "interval": "5m"}, format="json"
        ).status_code
        == 202
    )
    assert staff_client.post(f"{URL}{body['id']}/stop").json()["state"] == "stopped"
    assert staff_client.post(URL + "live/start", {"symbols": ["MSFT"]}, format="json").status_code == 202


@pytest.mark.django_db
def test_live_start_without_symbols_feeds_every_active_instrument(staff_client, instruments):
    instruments["SPY"].is_active = False
    instruments["SPY"].save()
    resp = staff_client.post(URL + "live/start", {}, format="json")
    assert resp.status_code == 202
    assert resp.json()["symbols"] == ["AAPL", "EURUSD", "JPM", "MSFT", "SAP"]
    assert isinstance(resp.json()["config"]["seed"], int)


def _daily_bars(
    instruments, symbols, days: int, start=dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
) -> pd.DataFrame:
    rows = []
    for k in range(days):
        for j, sym in enumerate(symbols):
            c = 100.0 + 10 * j + k
            rows.append(
                (
                    instruments[sym].pk,
                    start + dt.timedelta(days=k),
                    c - 0.5,
                    c + 1,
                    c - 1,
                    c,
                    c,
                    1000.0 + k,
                    c,
                    10,
                )
            )
    cols = [
        "instrument_id",
        "ts",
        "open",
        "high",
        "low",
        "close",
        "adj_close",
        "volume",
        "vwap",
        "trade_count",
    ]
    frame = pd.DataFrame(rows, columns=cols)
    storage.bars_upsert(frame, interval="1d")
    return frame


@pytest.mark.django_db
def test_replay_start_validation(staff_client, instruments):
    _daily_bars(instruments, ["AAPL"], 5)
    ok = {"symbols": ["AAPL"], "start": "2024-01-01T00:00:00Z", "end": "2024-01-31T00:00:00Z", "speed": 3600}
    cases = [
        ({**ok, "end": "2023-12-01T00:00:00Z"}, "end"),
        ({**ok, "speed": 0}, "speed"),
        ({**ok, "interval": "7m"}, "interval"),
        ({**ok, "start": "yesterday"}, "start"),
        ({k: v for k, v in ok.items() if k != "end"}, "end"),
        ({**ok, "symbols": ["MSFT"]}, "start"),  # no stored bars for it
        ({**ok, "symbols": ["ZZZ"]}, "symbols"),
        ({**ok, "interval": "1h"}, "start"),
    ]
    for body, field in cases:
        resp = staff_client.post(URL + "replay/start", body, format="json")
        assert resp.status_code == 400 and field in resp.json(), (body, resp.json())
    resp = staff_client.post(URL + "replay/start", ok, format="json")
    assert resp.status_code == 202 and resp.json()["mode"] == "replay"
    assert resp.json()["config"]["start"].startswith("2024-01-01T00:00:00")


@pytest.mark.django_db
def test_stop_and_detail_answer_404_for_unknown_feeds(staff_client, api_client):
    assert staff_client.post(URL + "424242/stop").status_code == 404
    assert api_client.get(URL + "424242").status_code == 404


# --- live feed through the runner, with a fake clock --------------------------------------------


@pytest.mark.django_db
def test_live_feed_publishes_quotes_and_books_stores_closed_bars_and_stops(fresh_bus, instruments):
    symbols = ["AAPL", "MSFT", "JPM"]
    session = services.feed_live_start(symbols=symbols, rate=2, interval="1m", seed=11, depth=3)
    runner = FeedRunner(runner_id="test-runner")

    runner.run_once(T0)  # claims the session, first tick due at T0 + 0.5
    session.refresh_from_db()
    assert session.state == FeedState.RUNNING and session.runner == "test-runner"
    assert _events("market.data.#") == []

    _run(runner, T0 + 0.5, T0 + 29.5)  # 59 ticks, all inside the 12:00 minute
    quotes = _events("market.data.quotes.*")
    assert len(quotes) == 59 * 3
    assert {e.topic for e in quotes} == {f"market.data.quotes.{s}" for s in symbols}
    assert all(e.payload["ask"] > e.payload["bid"] > 0 for e in quotes)
    books = _events("market.data.level2.AAPL")
    assert len(books) == 59 and len(books[0].payload["bids"]) == 3
    assert _events("market.data.bars.*") == [] and not Bar.objects.exists()  # the minute is still open

    _run(runner, T0 + 30.0, T0 + 31.0)  # the tick at 12:01:00 closes the 12:00 bar
    bars = _events("market.data.bars.*")
    assert len(bars) == 3
    stored = {b.instrument.symbol: b for b in Bar.objects.select_related("instrument").filter(interval="1m")}
    assert set(stored) == set(symbols)
    minute = dt.datetime(2024, 3, 4, 12, 0, tzinfo=dt.UTC)
    for sym in symbols:
        bar = stored[sym]
        assert bar.ts == minute
        mids = [e.payload["mid"] for e in quotes if e.payload["symbol"] == sym]
        # Built from the quotes' mids: open first, close last, high/low their extremes.
        assert bar.open == pytest.approx(mids[0], abs=0.01) and bar.close == pytest.approx(mids[-1], abs=0.01)
        assert bar.high >= max(bar.open, bar.close) and bar.low <= min(bar.open, bar.close)
        assert bar.low <= bar.vwap <= bar.high and bar.volume > 0 and bar.trade_count >= 1
        event = next(e for e in bars if e.payload["symbol"] == sym)
        assert event.payload["ts"] == "2024-03-04T12:00:00Z" and event.payload["close"] == pytest.approx(
            bar.close
        )

    _run(runner, T0 + 31.5, T0 + 33.0)  # report is due every second
    session.refresh_from_db()
    assert session.bars_stored == 3 and session.bars_published == 3
    assert session.ticks_published == len(_events("market.data.quotes.*"))
    assert session.last_tick_at == dt.datetime.fromtimestamp(T0 + 33.0, tz=dt.UTC)
    assert session.heartbeat_at is not None and session.error_count == 0

    assert services.feed_stop(feed=session).state == FeedState.STOPPING
    _run(runner, T0 + 33.5, T0 + 34.0)
    session.refresh_from_db()
    assert session.state == FeedState.STOPPED and session.stopped_at is not None
    published = len(_events("market.data.#"))
    _run(runner, T0 + 34.5, T0 + 90.0)  # stopped: nothing more, and the open bar is not stored
    assert len(_events("market.data.#")) == published
    assert Bar.objects.count() == 3 and runner.feeds == {}


def _collect_live(seed: int, *, start_prices=None) -> tuple[list, list]:
    published, stored = [], []
    feed = LiveFeed(
        session_id=1,
        instrument_ids=[1, 2],
        symbols=["A", "B"],
        sectors=["x", "y"],
        rate=4,
        interval="1m",
        seed=seed,
        depth=2,
        started=T0,
        start_prices=start_prices,
        publish=lambda topic, payload: published.append((topic, payload)),
        store=lambda frame, interval: stored.append(frame),
    )
    for now in _times(T0, T0 + 95.2, 0.7):  # uneven call times: ticks still fall every 0.25 s
        feed.advance(now)
    return published, stored


def test_a_live_feed_is_deterministic_for_a_seed_whatever_the_call_times():
    a, bars_a = _collect_live(5)
    b, bars_b = _collect_live(5)
    c, _ = _collect_live(6)
    # 380 ticks by T0 + 95.2 s, each a quote and a book per symbol; the bars of 12:00 and 12:01 closed.
    assert a == b and len(a) == 380 * 2 * 2 + 2 * 2
    assert a != c
    assert len(bars_a) == 2 and all(fa.equals(fb) for fa, fb in zip(bars_a, bars_b, strict=True))
    assert symbol_segment("BRK.B") == "BRK-B"


@pytest.mark.django_db
def test_a_stalled_runner_skips_old_ticks_instead_of_bursting(fresh_bus, instruments):
    services.feed_live_start(symbols=["AAPL"], rate=1, interval="1m", seed=2, depth=0)
    runner = FeedRunner(runner_id="r")
    runner.run_once(T0)
    runner.run_once(T0 + 3600)  # an hour-long pause: only the last 5 s of ticks are sent
    assert len(_events("market.data.quotes.*")) == 5


@pytest.mark.django_db
def test_runner_shutdown_hands_feeds_back_and_a_new_runner_resumes(fresh_bus, instruments):
    session = services.feed_live_start(symbols=["AAPL"], rate=1, interval="1m", seed=2, depth=0)
    first = FeedRunner(runner_id="first", clock=lambda: T0 + 10)
    _run(first, T0, T0 + 10)
    first.shutdown()
    session.refresh_from_db()
    assert session.state == FeedState.PENDING and session.runner == "" and session.ticks_published == 10

    second = FeedRunner(runner_id="second")
    _run(second, T0 + 20, T0 + 25)
    session.refresh_from_db()
    assert session.state == FeedState.RUNNING and session.runner == "second"
    assert session.ticks_published == 15  # counters carry on across runners


@pytest.mark.django_db
def test_a_silent_runner_s_feed_is_adopted_and_the_old_runner_lets_go(fresh_bus, instruments):
    session = services.feed_live_start(symbols=["AAPL"], rate=1, interval="1m", seed=2, depth=0)
    old = FeedRunner(runner_id="old")
    old.run_once(T0)
    stale = dt.datetime.fromtimestamp(T0, tz=dt.UTC) - control.STALE_AFTER - dt.timedelta(seconds=1)
    FeedSession.objects.filter(pk=session.pk).update(heartbeat_at=stale)
    new = FeedRunner(runner_id="new")
    new.run_once(T0 + 1)
    assert FeedSession.objects.get(pk=session.pk).runner == "new" and session.pk in new.feeds
    old.run_once(T0 + 2)  # its poll sees the session is no longer its own
    assert old.feeds == {}


@pytest.mark.django_db
def test_a_feed_whose_instruments_vanished_fails_with_its_reason(fresh_bus, instruments):
    session = services.feed_live_start(symbols=["SAP"], rate=1, interval="1m", seed=2)
    instruments["SAP"].delete()
    FeedRunner(runner_id="r").run_once(T0)
    session.refresh_from_db()
    assert session.state == FeedState.FAILED and session.stopped_at is not None
    assert "could not start" in session.last_error and "instruments" in session.last_error
    assert session.error_count == 1


# --- replay ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_replay_publishes_stored_bars_in_time_order_at_speed(fresh_bus, instruments):
    frame = _daily_bars(instruments, ["AAPL", "MSFT"], 6)
    _daily_bars(instruments, ["JPM"], 6)  # not asked for: never replayed
    session = services.feed_replay_start(
        symbols=["MSFT", "AAPL"],
        interval="1d",
        start=dt.datetime(2024, 1, 3, tzinfo=dt.UTC),  # skips the first stored day
        end=dt.datetime(2024, 1, 6, 12, tzinfo=dt.UTC),
        speed=86_400,  # a day per second
    )
    runner = FeedRunner(runner_id="r")
    runner.run_once(T0)  # the clock starts at the first bar in range: it goes out at once
    assert [(e.payload["symbol"], e.payload["ts"]) for e in _events("market.data.bars.*")] == [
        ("AAPL", "2024-01-03T00:00:00Z"),
        ("MSFT", "2024-01-03T00:00:00Z"),
    ]
    runner.run_once(T0 + 1.5)
    assert len(_events("market.data.bars.*")) == 4  # Jan 3 and Jan 4
    _run(runner, T0 + 2, T0 + 5)
    events = _events("market.data.bars.*")
    got = [(e.payload["ts"], e.payload["symbol"]) for e in events]
    assert got == sorted(got) and len(got) == 8  # Jan 3 – Jan 6, both symbols, time order
    closes = {(r.instrument_id, r.ts.strftime("%Y-%m-%dT%H:%M:%SZ")): r.close for r in frame.itertuples()}
    for e in events:
        assert e.payload["close"] == closes[(instruments[e.payload["symbol"]].pk, e.payload["ts"])]
        assert e.payload["source"] == "replay" and e.payload["interval"] == "1d"
    session.refresh_from_db()
    assert session.state == FeedState.FINISHED and session.bars_published == 8
    assert session.last_tick_at == dt.datetime(2024, 1, 6, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_a_resumed_replay_carries_on_without_repeating(fresh_bus, instruments):
    _daily_bars(instruments, ["AAPL"], 10)
    session = services.feed_replay_start(
        symbols=["AAPL"],
        interval="1d",
        start=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        end=dt.datetime(2024, 1, 31, tzinfo=dt.UTC),
        speed=86_400,
    )
    first = FeedRunner(runner_id="first", clock=lambda: T0 + 3)
    _run(first, T0, T0 + 3)
    first.shutdown()
    assert len(_events("market.data.bars.AAPL")) == 4
    second = FeedRunner(runner_id="second")
    _run(second, T0 + 100, T0 + 140)
    ts = [e.payload["ts"] for e in _events("market.data.bars.AAPL")]
    assert len(ts) == 10 and ts == sorted(set(ts))
    session.refresh_from_db()
    assert session.state == FeedState.FINISHED and session.bars_published == 10


# --- the feed_run process -----------------------------------------------------------------------


def _wait_for(predicate, what: str):
    deadline = time.monotonic() + PROCESS_BOUND
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"feed_run: gave up waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_feed_run_process_runs_feeds_stops_them_and_exits_cleanly_on_sigterm(fresh_bus, instruments):
    if connection.vendor != "postgresql":
        pytest.skip("the process needs a database it can share with the test (PostgreSQL)")
    s = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env |= {
        "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
        "BUS_STREAM_PREFIX": fresh_bus,
        "DJANGO_SETTINGS_MODULE": "nautilus.settings.test",
    }
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "feed_run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first = services.feed_live_start(symbols=["AAPL"], rate=5, interval="1m", seed=1, depth=0)
        _wait_for(lambda: FeedSession.objects.get(pk=first.pk).ticks_published > 0, "ticks")
        assert _events("market.data.quotes.AAPL")  # from the other process, through Redis
        services.feed_stop(feed=FeedSession.objects.get(pk=first.pk))
        _wait_for(lambda: FeedSession.objects.get(pk=first.pk).state == FeedState.STOPPED, "the stop")

        second = services.feed_live_start(symbols=["MSFT"], rate=5, interval="1m", seed=1, depth=0)
        _wait_for(lambda: FeedSession.objects.get(pk=second.pk).state == FeedState.RUNNING, "the claim")
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=PROCESS_BOUND)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    assert "feed runner stopped" in out
    assert FeedSession.objects.get(pk=second.pk).state == FeedState.PENDING  # handed back for the next run


def test_a_live_bar_out_of_range_is_counted_and_skipped_like_ingest_would():
    published, stored = [], []
    feed = LiveFeed(
        session_id=1,
        instrument_ids=[1, 2],
        symbols=["A", "B"],
        sectors=["x", "y"],
        rate=4,
        interval="1m",
        seed=5,
        depth=0,
        started=T0,
        publish=lambda topic, payload: published.append((topic, payload)),
        store=lambda frame, interval: stored.append(frame),
    )
    feed.advance(T0 + 10)  # inside the 12:00 bar, which closes at T0 + 30
    feed._volume[0] = -1e12  # A's bar now breaks ingest's rule (negative volume); B's is fine
    feed.advance(T0 + 31)
    bar_topics = [topic for topic, _ in published if ".bars." in topic]
    assert bar_topics == ["market.data.bars.B"]
    assert len(stored) == 1 and stored[0]["instrument_id"].tolist() == [2]
    assert feed.counters.bars_stored == 1 and feed.counters.bars_published == 1
    assert feed.counters.error_count == 1 and "skipped 1 1m bar(s)" in feed.counters.last_error
    assert feed.counters.last_error.endswith(": A")


def test_the_range_rule_of_live_bars_is_ingests():
    frame = pd.DataFrame(
        {
            "open": [10.0, 10.0, 10.0, 10.0, float("nan")],
            "high": [11.0, 9.5, 11.0, 11.0, 11.0],
            "low": [9.0, 9.0, 10.5, 9.0, 9.0],
            "close": [10.5, 10.0, 10.0, 10.0, 10.0],
            "volume": [5.0, 5.0, 5.0, -1.0, 5.0],
        }
    )
    assert bars_out_of_range(frame).tolist() == [False, True, True, True, True]
