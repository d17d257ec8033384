"""`make up` is safe by default: DEBUG off unless --debug."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workers.launcher import Launcher, parse_args

ROOT = Path(__file__).resolve().parents[2]


def _prepared_env(tmp_path, argv: list[str], **env) -> dict[str, str]:
    launcher = Launcher(parse_args(argv))
    launcher.env = {
        "REDIS_URL": "redis://127.0.0.1:1/0",  # set: no private Redis is started
        "DATABASE_URL": "postgres://unused/unused",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
        **env,
    }
    launcher.prepare_environment()
    return launcher.env


def test_children_run_without_debug_unless_asked(tmp_path):
    assert _prepared_env(tmp_path, [])["DJANGO_DEBUG"] == "0"
    assert _prepared_env(tmp_path, ["--debug"])["DJANGO_DEBUG"] == "1"
    assert _prepared_env(tmp_path, ["--debug"], DJANGO_DEBUG="0")["DJANGO_DEBUG"] == "1"


@pytest.mark.parametrize("debug_env,expected", [(None, "False"), ("1", "True")])
def test_local_settings_default_to_debug_off(debug_env, expected):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    env["DJANGO_SETTINGS_MODULE"] = "nautilus.settings.local"
    if debug_env is not None:
        env["DJANGO_DEBUG"] = debug_env
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == expected
