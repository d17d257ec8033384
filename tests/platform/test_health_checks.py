"""Engines' own health findings: /health asks each engine's facade for `health_checks()` (found by
name through the registry; the platform imports no engine), an engine without one reports none, and
a check that raises is itself a finding rather than a 500."""

from __future__ import annotations

import importlib

import pytest

from apps.platform import health
from workers.registry import ENGINES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_broker")]


def test_a_findings_degrades_its_engine_and_is_repeated_at_the_top(anon_client, monkeypatch):
    ml = importlib.import_module("apps.ml.facade")
    monkeypatch.setattr(ml, "health_checks", lambda: ["2 refused model artifact(s)"])
    doc = anon_client.get("/health").json()
    assert doc["engines"]["ml"]["checks"] == ["2 refused model artifact(s)"]
    assert "2 refused model artifact(s)" in doc["engines"]["ml"]["reasons"]
    assert doc["engines"]["ml"]["status"] != "ok"
    assert "ml: 2 refused model artifact(s)" in doc["reasons"]
    assert all(doc["engines"][e.key]["checks"] == [] for e in ENGINES if e.key != "ml")


def test_an_engine_without_a_check_reports_none_and_a_failing_check_is_a_finding(monkeypatch):
    without = next(
        e.key for e in ENGINES if not hasattr(health._engine_facade(e.key) or object(), "health_checks")
    )
    assert health.engine_checks(without) == []

    def broken():
        raise RuntimeError("redis went away")

    monkeypatch.setattr(importlib.import_module("apps.ml.facade"), "health_checks", broken)
    assert health.engine_checks("ml") == ["health check failed: RuntimeError: redis went away"]
