"""The factors part of load_demo saves its definitions once (a second run adds no version), and every
demo factor calculates over the demo-style market."""

from __future__ import annotations

import numpy as np
import pytest

from apps.factors import demo
from apps.factors.models import FactorDefinition

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_every_demo_factor_calculates(api_client, factor_market):
    demo.seed()
    demo.seed()
    assert FactorDefinition.objects.count() == len(demo.DEFINITIONS)
    assert set(FactorDefinition.objects.values_list("version", flat=True)) == {1}
    names = [name for name, *_ in demo.DEFINITIONS]
    body = {"universe": "all", "factors": names, "start": "2023-06-01", "end": "2023-07-01"}
    resp = api_client.post("/api/factors/calculate", body, format="json")
    assert resp.status_code == 200, resp.content
    factors = resp.json()["factors"]
    assert [f["label"] for f in factors] == [f"{n}@1" for n in names]
    for f in factors:
        assert np.isfinite(np.array(f["values"], dtype=float)).any(), f["label"]
