"""GET /metrics in production: served to allowed client networks and/or a bearer token, refused otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "scrape-7f3c1d"


@pytest.fixture
def production_rule(settings):
    """The production default: loopback and private networks, no token."""
    settings.METRICS_ALLOWED_NETWORKS = list(settings.METRICS_PRIVATE_NETWORKS)
    settings.METRICS_BEARER_TOKEN = ""
    settings.METRICS_NUM_PROXIES = 0
    return settings


def get(remote: str, **headers):
    return Client(REMOTE_ADDR=remote).get("/metrics", **headers)


@pytest.mark.parametrize(
    "remote", ["127.0.0.1", "10.2.3.4", "172.18.0.5", "192.168.1.9", "::1", "::ffff:10.0.0.7"]
)
def test_private_and_loopback_clients_are_served(production_rule, remote):
    resp = get(remote)
    assert resp.status_code == 200
    assert b"nautilus_queue_depth" in resp.content


@pytest.mark.parametrize("remote", ["203.0.113.7", "8.8.8.8", "2001:db8::1", "172.32.0.1", "not-an-ip"])
def test_public_clients_are_refused(production_rule, remote):
    resp = get(remote)
    assert resp.status_code == 403
    assert b"nautilus_" not in resp.content


def test_x_forwarded_for_is_ignored_unless_proxies_are_configured(production_rule):
    assert get("203.0.113.7", HTTP_X_FORWARDED_FOR="10.0.0.1").status_code == 403
    # Behind one proxy of ours (itself on a private address), the address it appended counts.
    production_rule.METRICS_NUM_PROXIES = 1
    assert get("10.0.0.2", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7").status_code == 403
    assert get("10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7, 10.0.0.1").status_code == 200


def test_bearer_token_admits_any_network(production_rule):
    production_rule.METRICS_BEARER_TOKEN = TOKEN
    assert get("203.0.113.7", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    wrong = get("203.0.113.7", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    assert get("203.0.113.7").status_code == 401
    assert get("10.0.0.3").status_code == 200  # the network rule still holds alongside


def test_token_only_when_the_network_list_is_empty(production_rule):
    production_rule.METRICS_ALLOWED_NETWORKS = []
    assert get("127.0.0.1").status_code == 403  # empty list: nobody by address, and no token: closed
    production_rule.METRICS_BEARER_TOKEN = TOKEN
    assert get("127.0.0.1").status_code == 401
    assert get("127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_custom_networks(production_rule):
    production_rule.METRICS_ALLOWED_NETWORKS = ["203.0.113.0/24"]
    assert get("203.0.113.7").status_code == 200
    assert get("10.0.0.1").status_code == 403


def test_laptop_default_is_open(settings):
    settings.METRICS_ALLOWED_NETWORKS = None
    settings.METRICS_BEARER_TOKEN = ""
    assert get("203.0.113.7").status_code == 200


def test_production_settings_restrict_metrics_by_default():
    env = {k: v for k, v in os.environ.items() if not k.startswith("METRICS_")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "nautilus.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "example.com",
        "DATABASE_URL": "postgres://u:p@db:5432/n",
        "FLOWER_BASIC_AUTH": "ops:x",
    }
    code = "from django.conf import settings as s; print(s.METRICS_ALLOWED_NETWORKS == s.METRICS_PRIVATE_NETWORKS)"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "True"
