"""Online retrieval's latency: the latest values of 100 symbols x 50 features (a feature set) through
the facade, through the API in Django's test client and through a real HTTP server (uvicorn serving
the ASGI app in a subprocess, as deployed), next to the same read answered from the stored rows
(`stored_values` over the history, each symbol's last row), measured in the same run.

The store is filled for the run under a BENCHON_ tag with `store_write` (synthetic values; the read
does not care how they were computed): full size 500 instruments x 200 definitions in 4 blocks of 50
x 250 daily bars, so the latest-value table holds 100,000 rows and a read picks 5,000 of them. The
set is one block's 50 definitions (consecutive ids: a set computed together); the facade is also
timed on 50 features spread over the 4 blocks (every 4th id), the slower layout for its read. Also timed: one new bar written for every instrument of a
block (what an incremental update does) and, inside it, the latest-value update. Everything is
deleted afterwards and the store's tables vacuumed (this machine's PostgreSQL runs without
autovacuum; dead rows of earlier runs made later reads slower and their plans different).

The API floor, in the test client and in uvicorn, is a request the view refuses before any read (no
`symbols`): token authentication, the user throttle, DRF's dispatch and a 400 answer, what any
request pays on that path; the difference to the online figure is the view's own work.
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from urllib.parse import quote, urlencode

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.marketdata.models import Instrument
from apps.platform.bench.figures import figure, ms_percentiles, progress_bar, timed

from .. import facade
from ..models import FeatureColumns, FeatureDefinition, FeatureSet
from ..selectors.values import stored_values
from ..services.definitions import definition_save
from ..services.sets import set_create
from ..services.store import InstrumentValues, store_write

FULL = {"instruments": 500, "blocks": 4, "bars": 250, "requests": 1000, "baseline_requests": 30}
QUICK = {"instruments": 100, "blocks": 1, "bars": 20, "requests": 20, "baseline_requests": 3}
SYMBOLS, FEATURES, WIDTH = 100, 50, 50
SEED = 17
URL = "/api/features/online"


def _fill(tag: str, sizes: dict, bar) -> tuple[list, list[FeatureDefinition], np.ndarray]:
    instruments = Instrument.objects.bulk_create(
        [Instrument(symbol=f"BENCHON{tag}{i:04d}") for i in range(sizes["instruments"])]
    )
    definitions = [
        definition_save(name=f"benchon_{tag.lower()}_{k}", function="SMA", params={"timeperiod": 2 + k})
        for k in range(sizes["blocks"] * WIDTH)
    ]
    ts = pd.date_range(end="2024-12-31", periods=sizes["bars"], freq="D").to_numpy(dtype="datetime64[ns]")
    rng = np.random.default_rng(SEED)
    for b in range(sizes["blocks"]):
        block = definitions[b * WIDTH : (b + 1) * WIDTH]
        store_write(
            block,
            {
                i.pk: InstrumentValues(ts=ts, values=rng.normal(100.0, 10.0, (len(ts), WIDTH)))
                for i in instruments
            },
        )
        bar.update(1)
    with connection.cursor() as cursor:
        for table in ("features_row", "features_series", "features_latest"):
            cursor.execute(f"ANALYZE {table}")
    return instruments, definitions, ts


def _cleanup(tag: str, instruments: list, definitions: list[FeatureDefinition]) -> None:
    ids = [d.pk for d in definitions]
    blocks = list(FeatureColumns.objects.filter(definition_ids__overlap=ids).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM features_latest WHERE definition_id = ANY(%s::bigint[])", [ids])
        cursor.execute("DELETE FROM features_series WHERE definition_id = ANY(%s::bigint[])", [ids])
        cursor.execute("DELETE FROM features_row WHERE columns_id = ANY(%s::int[])", [blocks])
    FeatureColumns.objects.filter(pk__in=blocks).delete()
    FeatureSet.objects.filter(name=f"benchon_{tag.lower()}").delete()
    FeatureDefinition.objects.filter(pk__in=ids).delete()
    Instrument.objects.filter(pk__in=[i.pk for i in instruments]).delete()
    get_user_model().objects.filter(username=f"benchon_{tag.lower()}").delete()
    if not connection.in_atomic_block:  # VACUUM refuses a transaction; autovacuum may be off
        with connection.cursor() as cursor:
            for table in ("features_row", "features_series", "features_latest"):
                cursor.execute(f"VACUUM ANALYZE {table}")


def _stored_latest(definitions, instruments: dict[str, int]) -> pd.DataFrame:
    """The baseline: the stored rows over the history, each symbol's last row."""
    rows = stored_values(definitions=definitions, instruments=instruments)
    return rows.groupby("symbol", sort=False).tail(1)


@contextmanager
def _quiet_refusals():
    """Django logs every 4xx on `django.request`; the floor's 400s are on purpose."""
    log = logging.getLogger("django.request")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _database_env() -> dict[str, str]:
    """The environment pointing a subprocess at the database this process uses (under pytest the
    test database, not DATABASE_URL's)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="") + (
        f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    )
    host = f"{quote(s.get('HOST') or 'localhost', safe='')}:{s.get('PORT') or 5432}"
    return {"DATABASE_URL": f"postgres://{auth}@{host}/{quote(s['NAME'], safe='')}"}


@contextmanager
def _uvicorn():
    """uvicorn serving nautilus.asgi on a free local port, one worker; yields the port. Its output
    goes to a file (a pipe nobody reads would fill with the floor's 400 warnings and stall it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, **_database_env()}
    env.setdefault("DJANGO_SETTINGS_MODULE", "nautilus.settings.local")
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "nautilus.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--no-access-log", "--log-level", "warning"],
            env=env, cwd=str(settings.BASE_DIR), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"uvicorn did not start: {log.read().decode()[-500:]}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _live_get(port: int, token: str):
    """A keep-alive connection to the server and a GET of a path on it that must answer `status`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}"}

    def get(path: str, status: int = 200) -> None:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != status:
            raise RuntimeError(f"live server answered {resp.status}: {body[:200]!r}")

    return conn, get


def _new_bar(instruments, definitions, ts) -> tuple[float, float]:
    """One new bar for every instrument of the first block: store_write's time, and the part spent in
    the latest-value update (its statement, timed through an execute wrapper)."""
    spent = []

    def wrapper(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if "INSERT INTO features_latest" in sql:
                spent.append(time.perf_counter() - t0)

    new = ts[-1:] + np.timedelta64(1, "D")
    payload = {i.pk: InstrumentValues(ts=new, values=np.ones((1, WIDTH))) for i in instruments}
    with connection.execute_wrapper(wrapper):
        t0 = time.perf_counter()
        store_write(definitions[:WIDTH], payload)
        total = time.perf_counter() - t0
    return total, sum(spent)


def measure(*, quick: bool, progress: bool) -> list[dict]:
    sizes = QUICK if quick else FULL
    tag = uuid.uuid4().hex[:6].upper()
    n = sizes["requests"]
    with progress_bar(progress, sizes["blocks"], "filling the store") as bar:
        instruments, definitions, ts = _fill(tag, sizes, bar)
    try:
        picked = sorted(np.random.default_rng(SEED).choice(len(instruments), SYMBOLS, replace=False))
        symbols = [instruments[k].symbol for k in picked]
        chosen = definitions[:FEATURES]  # a set computed together: one block, consecutive ids
        spread = definitions[:: len(definitions) // FEATURES][:FEATURES]  # every 4th: all blocks
        feature_set = f"benchon_{tag.lower()}"
        set_create(name=feature_set, features=[d.label for d in chosen])
        members = list(FeatureSet.objects.get(name=feature_set).members.order_by("name", "version"))
        by_symbol = {instruments[k].symbol: instruments[k].pk for k in picked}

        got = facade.features_latest(symbols, feature_set=feature_set)
        reference = _stored_latest(members, by_symbol).set_index("symbol")[list(got.features)]
        if not np.array_equal(got.frame().loc[list(reference.index)].to_numpy(), reference.to_numpy()):
            raise RuntimeError("the online read differs from the stored rows' last values")

        facade_ms = ms_percentiles(
            timed(n, lambda _i: facade.features_latest(symbols, feature_set=feature_set),
                  progress_bar(progress, n, "facade"))
        )  # fmt: skip
        spread_labels = [d.label for d in spread]
        spread_ms = ms_percentiles(
            timed(n, lambda _i: facade.features_latest(symbols, features=spread_labels),
                  progress_bar(progress, n, "facade, features spread"))
        )  # fmt: skip
        baseline_ms = ms_percentiles(
            timed(sizes["baseline_requests"], lambda _i: _stored_latest(members, by_symbol),
                  progress_bar(progress, sizes["baseline_requests"], "stored_values, last rows"))
        )  # fmt: skip

        user = get_user_model().objects.create_user(username=feature_set, password=uuid.uuid4().hex)
        token = Token.objects.create(user=user).key
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        query = {"set": feature_set, "symbols": ",".join(symbols)}

        def api(_i: int) -> None:
            resp = client.get(URL, query)
            if resp.status_code != 200:
                raise RuntimeError(f"API answered {resp.status_code}: {resp.content[:200]!r}")

        api(0)
        api_ms = ms_percentiles(timed(n, api, progress_bar(progress, n, "API, test client")))
        with _quiet_refusals():
            floor_ms = ms_percentiles(
                timed(
                    n,
                    lambda _i: client.get(URL, {"set": feature_set}),
                    progress_bar(progress, n, "API floor"),
                )
            )
        with _uvicorn() as port:
            conn, get = _live_get(port, token)
            path, floor_path = f"{URL}?{urlencode(query)}", f"{URL}?{urlencode({'set': feature_set})}"
            for _ in range(5):  # warm-up: the server process's first requests import and cache
                get(path)
            live_ms = ms_percentiles(
                timed(n, lambda _i: get(path), progress_bar(progress, n, "API, uvicorn"))
            )
            live_floor_ms = ms_percentiles(
                timed(n, lambda _i: get(floor_path, 400), progress_bar(progress, n, "API floor, uvicorn"))
            )
            conn.close()
        write_s, latest_s = _new_bar(instruments, definitions, ts)
    finally:
        _cleanup(tag, instruments, definitions)
    return [
        figure("online_facade_p50_ms", facade_ms[0], "ms", baseline_ms[0]),
        figure("online_facade_p99_ms", facade_ms[1], "ms", baseline_ms[1]),
        figure("online_facade_spread_p50_ms", spread_ms[0], "ms", baseline_ms[0]),
        figure("online_facade_spread_p99_ms", spread_ms[1], "ms", baseline_ms[1]),
        figure("online_api_test_client_p50_ms", api_ms[0], "ms", baseline_ms[0]),
        figure("online_api_test_client_p99_ms", api_ms[1], "ms", baseline_ms[1]),
        figure("online_api_uvicorn_p50_ms", live_ms[0], "ms", baseline_ms[0]),
        figure("online_api_uvicorn_p99_ms", live_ms[1], "ms", baseline_ms[1]),
        figure("api_floor_test_client_p50_ms", floor_ms[0], "ms"),
        figure("api_floor_test_client_p99_ms", floor_ms[1], "ms"),
        figure("api_floor_uvicorn_p50_ms", live_floor_ms[0], "ms"),
        figure("api_floor_uvicorn_p99_ms", live_floor_ms[1], "ms"),
        figure("new_bar_store_write_ms", write_s * 1000, "ms"),
        figure("new_bar_latest_update_ms", latest_s * 1000, "ms"),
    ]
