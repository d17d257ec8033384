"""The platform's real in-thread Celery worker fixtures (tests/platform/conftest.py), for the jobs
of this engine that run through one."""

from tests.platform.conftest import celery_app, clean_broker, worker_on  # noqa: F401 (fixtures)
