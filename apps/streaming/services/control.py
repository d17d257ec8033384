"""Commands from the HTTP side to one connection, wherever its server process runs: published on
that process's control channel (registry.py), answered on a reply list this side waits on."""

from __future__ import annotations

import json
import uuid

from apps.platform.bus import connection as bus_connection

from ..selectors.stats import connection_process
from .registry import prefix

REPLY_TIMEOUT_S = 5


class ConnectionGone(LookupError):
    pass


def connection_command(*, conn_id: str, op: str, **fields) -> dict:
    """Run `op` on the connection; its answer ({"ok": ..., ...}). ConnectionGone when no live process
    holds it; TimeoutError when its process did not answer in time."""
    process = connection_process(conn_id)
    if process is None:
        raise ConnectionGone(conn_id)
    r = bus_connection.make_client(bus_connection.config().url, socket_timeout=REPLY_TIMEOUT_S + 5)
    reply = f"{prefix()}reply:{uuid.uuid4().hex}"
    cmd = {"conn": conn_id, "op": op, "reply": reply, **fields}
    if r.publish(f"{prefix()}control:{process}", json.dumps(cmd)) == 0:
        raise ConnectionGone(conn_id)  # its process stopped listening: gone since the last snapshot
    got = r.blpop([reply], timeout=REPLY_TIMEOUT_S)
    if got is None:
        raise TimeoutError(f"the server process holding {conn_id} did not answer within {REPLY_TIMEOUT_S} s")
    return json.loads(got[1])
