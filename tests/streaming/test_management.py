"""/api/websocket/: stats, connections and server-side subscriptions across two server processes.

Process A is this test's event loop (connections through WebsocketCommunicator); process B a real
uvicorn server in a thread with its own loop (a real websockets client). Each has its registry
agent; the HTTP side reaches either through Redis only."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
import websockets
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token

from apps.streaming.selectors.stats import aggregate

from .live_server import live_server
from .wsclient import WAIT, connect, events_until, publish, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def test_aggregate_sums_counts_and_takes_percentiles_over_every_processes_samples():
    a = {"process": "a", "at": 1.0, "connections": 2, "messages_in": 5, "messages_out": 100, "dropped": 1,
         "conflated": 3, "in_per_s": 0.5, "out_per_s": 10.0, "subscriptions": {"#": 1, "risk.#": 1},
         "latency_ms": [1.0, 2.0, 3.0]}  # fmt: skip
    b = {"process": "b", "at": 1.5, "connections": 1, "messages_in": 1, "messages_out": 50, "dropped": 0,
         "conflated": 4, "in_per_s": 0.25, "out_per_s": 5.0, "subscriptions": {"#": 2},
         "latency_ms": [10.0, 20.0]}  # fmt: skip
    got = aggregate([b, a])
    assert {k: got[k] for k in ("processes", "connections", "messages_out", "dropped", "conflated")} == {
        "processes": 2, "connections": 3, "messages_out": 150, "dropped": 1, "conflated": 7
    }  # fmt: skip
    assert got["out_per_s"] == 15.0 and got["in_per_s"] == 0.75
    assert got["subscriptions"] == {"#": 3, "risk.#": 1}
    # Percentiles of the pooled samples: [1, 2, 3, 10, 20] -> p50 = 3 (not the mean of 2 and 15).
    assert got["latency_ms"]["p50"] == 3.0
    assert got["latency_ms"]["p99"] == pytest.approx(np.percentile([1, 2, 3, 10, 20], 99))
    assert [p["process"] for p in got["per_process"]] == ["a", "b"]
    assert aggregate([])["latency_ms"] == {"p50": None, "p99": None, "samples": 0}


async def _post(client, path, body):
    resp = await sync_to_async(client.post)(path, body, format="json")
    return resp.status_code, resp.json()


async def _until(predicate, what):
    for _ in range(200):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


@pytest.mark.asyncio
async def test_list_subscribe_and_close_across_two_processes(
    fresh_bus, staff_user, staff_client, api_client, settings
):
    settings.STREAM_REGISTRY_INTERVAL_S = 0.2
    token = (await sync_to_async(Token.objects.get_or_create)(user=staff_user))[0].key
    with live_server() as url:
        remote = await websockets.connect(f"{url}/ws/stream?token={token}")
        await remote.send(json.dumps({"action": "subscribe", "patterns": ["risk.#"]}))
        assert json.loads(await remote.recv())["type"] == "subscribed"
        local = await connect(f"/ws/stream?token={token}")
        await subscribe(local, ["system.#"])

        async def both_listed():  # with their patterns: the remote process's snapshot may lag its subscribe
            code, body = await _post(staff_client, "/api/websocket/connections", {"action": "list"})
            listed = {tuple(c["patterns"]) for c in body.get("connections", [])} if code == 200 else set()
            return listed == {("risk.#",), ("system.#",)}

        await _until(both_listed, "both connections listed")
        _, body = await _post(staff_client, "/api/websocket/connections", {"action": "list"})
        by_pattern = {tuple(c["patterns"]): c for c in body["connections"]}
        remote_id, local_id = by_pattern[("risk.#",)]["id"], by_pattern[("system.#",)]["id"]
        assert remote_id.rpartition(".")[0] != local_id.rpartition(".")[0]  # two processes

        stats = (await sync_to_async(staff_client.get)("/api/websocket/stats")).json()
        assert stats["processes"] == 2 and stats["connections"] == 2
        assert stats["subscriptions"] == {"risk.#": 1, "system.#": 1}

        # A subscription added from the server side: the client is told, and events follow.
        code, body = await _post(
            staff_client,
            "/api/websocket/subscriptions",
            {
                "connection_id": local_id,
                "action": "add",
                "patterns": ["market.data.bars.*"],
                "filters": {"symbol": ["AAPL"]},
            },  # fmt: skip
        )
        assert code == 200 and body == {
            "connection_id": local_id,
            "patterns": ["market.data.bars.*", "system.#"],
        }
        ack = await local.receive_json_from(timeout=WAIT)
        assert ack["type"] == "subscribed" and ack["filtered"] == ["market.data.bars.*"]
        await publish("market.data.bars.MSFT", {"symbol": "MSFT"})
        eid = await publish("market.data.bars.AAPL", {"symbol": "AAPL"})
        assert [m["id"] for m in await events_until(local, eid)] == [eid]
        code, body = await _post(
            staff_client,
            "/api/websocket/subscriptions",
            {"connection_id": local_id, "action": "remove", "patterns": ["system.#"]},
        )
        assert body["patterns"] == ["market.data.bars.*"]

        # Closing the other process's connection.
        code, body = await _post(
            staff_client,
            "/api/websocket/connections",
            {"action": "close", "connection_id": remote_id, "reason": "bye"},
        )
        assert code == 200 and body == {"closed": remote_id}
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(remote.recv(), WAIT)
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4000, "bye")

        code, body = await _post(
            staff_client, "/api/websocket/connections", {"action": "close", "connection_id": "x.1"}
        )
        assert code == 404
        code, body = await _post(
            staff_client,
            "/api/websocket/subscriptions",
            {"connection_id": local_id, "action": "add", "patterns": ["a.#.b"]},
        )
        assert code == 400 and list(body) == ["patterns"]
        code, body = await _post(
            staff_client,
            "/api/websocket/subscriptions",
            {"connection_id": local_id, "action": "add", "patterns": ["#"], "filters": {"severity": 3}},
        )
        assert code == 400 and list(body) == ["filters"]
        assert (await _post(api_client, "/api/websocket/connections", {"action": "list"}))[0] == 403
        assert (await sync_to_async(api_client.get)("/api/websocket/stats")).status_code == 403
        await local.disconnect()


@pytest.mark.parametrize(
    "body,field",
    [
        ({"action": "dance"}, "action"),
        ({"action": "close"}, "connection_id"),
        ({"action": "list", "user_id": 0}, "user_id"),
        ({"action": "list", "feed": "tv"}, "feed"),
    ],
)
def test_bad_connection_requests_name_the_field(staff_client, body, field, fresh_bus):
    resp = staff_client.post("/api/websocket/connections", body, format="json")
    assert resp.status_code == 400 and field in resp.json()
