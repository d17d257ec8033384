"""`make up` is safe by default: DEBUG off unless --debug, and Flower never on admin:admin."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from workers.launcher import Launcher, flower_basic_auth, parse_args

ROOT = Path(__file__).resolve().parents[2]


def _prepared_env(tmp_path, argv: list[str], **env) -> dict[str, str]:
    launcher = Launcher(parse_args(argv))
    launcher.env = {
        "REDIS_URL": "redis://127.0.0.1:1/0",  # set: no private Redis is started
        "DATABASE_URL": "postgres://unused/unused",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
        "FLOWER_AUTH_FILE": str(tmp_path / "flower_auth"),
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


def test_flower_password_is_generated_once_private_and_reused(tmp_path):
    env = {"FLOWER_AUTH_FILE": str(tmp_path / "var" / "flower_auth")}
    first = flower_basic_auth(env)
    user, _, password = first.partition(":")
    assert user == "admin" and len(password) >= 20 and first != "admin:admin"
    path = tmp_path / "var" / "flower_auth"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first
    assert flower_basic_auth(env) == first  # later starts reuse it
    assert flower_basic_auth(dict(env, FLOWER_AUTH_FILE=str(tmp_path / "other"))) != first  # random


def test_flower_basic_auth_env_wins_and_writes_nothing(tmp_path):
    env = {"FLOWER_BASIC_AUTH": "ops:s3cret", "FLOWER_AUTH_FILE": str(tmp_path / "flower_auth")}
    assert flower_basic_auth(env) == "ops:s3cret"
    assert not (tmp_path / "flower_auth").exists()


def test_a_damaged_auth_file_is_replaced_and_made_private(tmp_path):
    path = tmp_path / "flower_auth"
    path.write_text("\n")
    path.chmod(0o644)
    auth = flower_basic_auth({"FLOWER_AUTH_FILE": str(path)})
    assert auth.startswith("admin:") and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_launcher_hands_the_generated_login_to_flower(tmp_path):
    env = _prepared_env(tmp_path, [])
    assert env["FLOWER_BASIC_AUTH"] == (tmp_path / "flower_auth").read_text().strip()
    assert "FLOWER_BASIC_AUTH" not in _prepared_env(tmp_path / "x", ["--no-flower"])


def test_no_admin_admin_default_remains():
    for path in ["nautilus/settings/base.py", "nautilus/settings/local.py", "workers/launcher.py"]:
        assert "admin:admin" not in (ROOT / path).read_text(), path
