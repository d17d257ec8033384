"""Test settings: real PostgreSQL and Redis when DATABASE_URL / REDIS_URL point at them (CI does);
SQLite and a private Redis started by tests/conftest.py otherwise."""

import atexit
import shutil
import tempfile

from .base import *  # noqa: F401,F403
from .base import REST_FRAMEWORK, env

DEBUG = False
SECRET_KEY = "test-only"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Throttling is tested on purpose where it matters; it must not make unrelated tests flaky.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min"}}
JOB_SYNC_WAIT_SECONDS = env.float("JOB_SYNC_WAIT_SECONDS", default=2.0)
# Async tests touch the DB from worker threads; persistent connections there would keep the test
# database open and block its teardown.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Tests write and read in one transaction, whose on-commit version bumps never run: every online read
# goes to the table unless a test turns the cache on (tests/features/selectors/test_online_cache.py).
FEATURES_ONLINE_CACHE_MAX_AGE_S = 0.0
# The same for cached API tokens: a test that deletes a token in its transaction sees it at once
# (tests/platform/test_authentication.py turns the cache on).
AUTH_CACHE_MAX_AGE_S = 0.0
# Model artifacts go to a directory of this test session's own, removed when it ends.
ML_ARTIFACT_ROOT = tempfile.mkdtemp(prefix="nautilus-ml-artifacts-")
atexit.register(shutil.rmtree, ML_ARTIFACT_ROOT, ignore_errors=True)
