"""API prediction latency for one symbol, the seed's body (`{"symbol", "current_price", "features":
{}}`: every feature read from the online store), through Django's test client with a token, next to a
plain authenticated GET of the model in the same run (the floor every API request pays: token, throttle,
dispatch, one registry read)."""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.platform.bench.figures import figure, ms_percentiles, progress_bar, timed

from .data import Fixture

URL = "/api/ml/predict/price"


def measure(fx: Fixture, *, requests: int, progress: bool) -> list[dict]:
    user = get_user_model().objects.create_user(username=fx.username, password=uuid.uuid4().hex)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    body = {"symbol": fx.symbols[0], "current_price": 150.0, "features": {}, "model": fx.model_name}
    plain = f"/api/ml/models/{fx.model_name}"

    def predict(_i: int) -> None:
        resp = client.post(URL, body, format="json")
        if resp.status_code != 200:
            raise RuntimeError(f"predict answered {resp.status_code}: {resp.content[:200]!r}")

    def get(_i: int) -> None:
        resp = client.get(plain)
        if resp.status_code != 200:
            raise RuntimeError(f"GET answered {resp.status_code}: {resp.content[:200]!r}")

    first = client.post(URL, body, format="json").json()
    if set(first["sources"].values()) != {"store"}:
        raise RuntimeError(f"the bench's features were not all read from the store: {first['sources']}")
    for _ in range(5):  # warm-up: caches of names, rows and the artifact
        predict(0)
        get(0)
    predict_ms = ms_percentiles(timed(requests, predict, progress_bar(progress, requests, "API predict")))
    get_ms = ms_percentiles(timed(requests, get, progress_bar(progress, requests, "API GET model")))
    return [
        figure("api_predict_p50_ms", predict_ms[0], "ms", get_ms[0]),
        figure("api_predict_p99_ms", predict_ms[1], "ms", get_ms[1]),
    ]
