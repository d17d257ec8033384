"""Readiness and health probes for the containers, without importing Django (fast, and usable
before migrations have run). The slim image has no curl, so HTTP checks live here too.

    probe.py wait [--timeout S]   block until DATABASE_URL and REDIS_URL answer (entrypoint)
    probe.py deps                 exit 0 iff both answer now (Beat's healthcheck)
    probe.py http URL             exit 0 iff URL answers 2xx (web's and Flower's healthchecks)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit, urlunsplit

CHECK_TIMEOUT_S = 3


def _libpq_url(url: str) -> str:
    # django-environ accepts several scheme spellings; libpq only postgres:// and postgresql://.
    parts = urlsplit(url)
    return urlunsplit(("postgresql", *parts[1:]))


def database_error() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url or not url.startswith(("postgres", "pgsql", "timescale")):
        return None  # SQLite (or unset): nothing to wait for
    import psycopg

    try:
        with psycopg.connect(_libpq_url(url), connect_timeout=CHECK_TIMEOUT_S) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"database: {exc}".strip()
    return None


def broker_error() -> str | None:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return "broker: REDIS_URL is not set"
    import redis

    try:
        redis.Redis.from_url(
            url, socket_timeout=CHECK_TIMEOUT_S, socket_connect_timeout=CHECK_TIMEOUT_S
        ).ping()
    except redis.RedisError as exc:
        return f"broker: {exc}"
    return None


def dependency_errors() -> list[str]:
    return [e for e in (database_error(), broker_error()) if e]


def wait(timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        errors = dependency_errors()
        if not errors:
            return 0
        if time.monotonic() >= deadline:
            print(f"probe: gave up after {timeout:.0f}s: {'; '.join(errors)}", file=sys.stderr)
            return 1
        print(f"probe: waiting: {'; '.join(errors)}", file=sys.stderr)
        time.sleep(1)


def http_ok(url: str) -> int:
    # Django checks the Host header against DJANGO_ALLOWED_HOSTS: present one it accepts.
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = next((h.lstrip(".") for h in hosts if h != "*"), None)
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=CHECK_TIMEOUT_S * 2) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"probe: {url}: {exc}", file=sys.stderr)
        return 1
    if 200 <= status < 300:
        return 0
    print(f"probe: {url}: HTTP {status}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="probe.py")
    sub = parser.add_subparsers(dest="mode", required=True)
    p_wait = sub.add_parser("wait")
    p_wait.add_argument("--timeout", type=float, default=120.0)
    sub.add_parser("deps")
    p_http = sub.add_parser("http")
    p_http.add_argument("url")
    args = parser.parse_args(argv)

    if args.mode == "wait":
        return wait(args.timeout)
    if args.mode == "deps":
        errors = dependency_errors()
        for e in errors:
            print(f"probe: {e}", file=sys.stderr)
        return 1 if errors else 0
    return http_ok(args.url)


if __name__ == "__main__":
    sys.exit(main())
