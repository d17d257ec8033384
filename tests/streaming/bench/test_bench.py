"""`manage.py bench streaming`, end to end with ~20 clients: a real uvicorn and the bare server, real
client and publisher processes. Checks the figures are there and add up, not how fast they are."""

from __future__ import annotations

import json
from io import StringIO

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

CLIENTS = 20


@pytest.fixture
def real_database():
    if connection.vendor != "postgresql":
        pytest.skip("the server process must share the test database: PostgreSQL only")


@pytest.mark.django_db(transaction=True)
def test_bench_streaming_runs_both_servers_and_reports_every_step(real_database):
    out = StringIO()
    call_command(
        "bench", "streaming", "--quick", "--clients", str(CLIENTS), "--seconds", "1", "--json", "--no-progress",
        stdout=out,
    )  # fmt: skip
    result = json.loads(out.getvalue())
    assert result["engine"] == "streaming"
    assert result["sizes"]["clients"] == CLIENTS and result["sizes"]["seconds"] == 1.0
    steps = result["sizes"]["steps"]
    for name in ("nautilus", "bare"):
        server = result["servers"][name]
        assert server["connections_held"] == CLIENTS and server["connections_failed"] == 0, server
        assert server["steps"], server  # at least the first step ran
        for step in server["steps"]:
            assert step["published"] > 0 and step["expected"] == step["published"] * CLIENTS
            assert step["received"] + step["missing"] - step["extra"] == step["expected"]
            assert step["received"] > 0 and step["delivered_per_s"] > 0
            assert 0 < step["p50_ms"] <= step["p99_ms"] <= step["max_ms"]
            assert step["server_cpu_s"] > 0 and step["clients_cpu_s"] > 0, step
    figures = {f["name"]: f for f in result["figures"]}
    ran = len(result["servers"]["nautilus"]["steps"])
    expected = {"connections_held"} | {
        f"{what}@{target}"
        for target in steps[:ran]
        for what in ("delivered_per_s", "latency_p50", "latency_p99", "missing", "dropped")
    }
    assert expected <= set(figures)
    assert figures["connections_held"]["value"] == figures["connections_held"]["baseline"] == CLIENTS
    first = figures[f"latency_p99@{steps[0]}"]
    assert first["ratio"] == pytest.approx(first["value"] / first["baseline"], rel=1e-2)
    assert set(result["targets"]) == {
        "connections",
        "delivered_per_s",
        "p99_ms",
        "p99_ms_at_best_complete",
        "delivered_per_s_within_p99",
    }
    assert result["targets"]["connections"] == {"target": 1000, "measured": CLIENTS, "met": False}
    # Nothing left behind: the bench user and the bench's streams.
    assert not get_user_model().objects.filter(username__startswith="benchstream_").exists()
    leftover = redis.Redis.from_url(settings.REDIS_URL).scan_iter(
        match=f"nautilus:bench:stream:{result['run_id']}:*"
    )
    assert not list(leftover)


@pytest.mark.django_db(transaction=True)
def test_the_asyncio_client_kind_measures_the_bare_server(real_database):
    from apps.streaming.bench import run

    result = run(
        quick=True, progress=False, servers=["bare"], client="asyncio", clients=6, seconds=0.5, steps=[300]
    )
    bare = result["servers"]["bare"]
    assert bare["connections_held"] == 6 and len(bare["steps"]) == 1
    step = bare["steps"][0]
    assert step["expected"] == step["published"] * 6 and step["received"] > 0
    assert result["figures"] == [] and result["targets"] is None  # no ws/stream figures without it


def test_a_streaming_flag_given_to_another_bench_is_refused():
    with pytest.raises(CommandError, match="--clients: only for bench streaming"):
        call_command("bench", "platform", "--clients", "5")
