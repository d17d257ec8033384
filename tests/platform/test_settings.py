import pytest
from django.conf import settings

from workers.registry import ENGINES, VISIBILITY_TIMEOUT
from workers.routing import route_task
from workers.schedule import SCHEDULE


def test_every_engine_task_routes_to_its_own_queue():
    for e in ENGINES:
        route = route_task(f"apps.{e.key}.tasks.ping", (), {}, {})
        assert route["queue"] == e.queue
    assert route_task("somebody.else.task", (), {}, {}) is None


def test_visibility_timeout_exceeds_every_hard_time_limit():
    assert all(VISIBILITY_TIMEOUT > e.time_limit_s for e in ENGINES)
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == VISIBILITY_TIMEOUT


def test_celery_is_json_only_and_late_acking():
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST


def test_periodic_tasks_expire_before_their_next_run():
    for p in SCHEDULE:
        assert p.expires_seconds < p.every_seconds


def test_risk_is_served_first():
    prios = {e.key: e.task_priority for e in ENGINES}
    assert prios["risk"] == min(prios.values())


@pytest.mark.django_db
def test_unknown_api_paths_answer_json_404(api_client):
    response = api_client.get("/api/jobs/not-a-uuid")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("Not found")
