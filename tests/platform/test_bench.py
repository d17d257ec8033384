import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.platform.management.commands.bench import available_benches, format_table
from workers.registry import ENGINES


def test_unknown_engine_is_a_clear_error_listing_what_exists():
    with pytest.raises(CommandError) as err:
        call_command("bench", "nonsense")
    assert "unknown engine 'nonsense'" in str(err.value)
    assert "platform" in str(err.value)


def test_engine_without_a_bench_module_is_a_clear_error():
    missing = [
        key for key in ("risk", "analytics", "factors", "ml", "streaming") if key not in available_benches()
    ]
    if not missing:
        pytest.skip("every engine has a bench module now")
    with pytest.raises(CommandError, match=f"no bench for engine '{missing[0]}'"):
        call_command("bench", missing[0])


def test_bad_set_option_is_rejected():
    with pytest.raises(CommandError, match="KEY=VALUE"):
        call_command("bench", "platform", "--set", "novalue")


def test_table_shows_each_figure_with_its_baseline_and_ratio():
    table = format_table(
        {
            "engine": "x",
            "figures": [{"name": "rate", "value": 50.0, "unit": "/s", "baseline": 200.0, "ratio": 0.25}],
        }
    )
    row = next(line for line in table.splitlines() if line.startswith("rate"))
    assert row.split() == ["rate", "50.000", "/s", "200.000", "0.25x"]
    assert 'engine: "x"' in table


@pytest.mark.worker
def test_platform_bench_reports_every_figure_with_a_baseline():
    out = StringIO()
    call_command("bench", "platform", "--json", "--quick", "--no-progress", stdout=out)
    result = json.loads(out.getvalue())
    figures = {f["name"]: f for f in result["figures"]}
    expected = [
        "celery_round_trip_p50",
        "celery_round_trip_p99",
        "bus_publish_per_s",
        "bus_publish_to_subscribe_p50",
        "bus_publish_to_subscribe_p99",
        *(f"celery_tasks_per_s[{e.queue}]" for e in ENGINES),
    ]
    assert sorted(figures) == sorted(expected)
    for f in figures.values():
        assert f["value"] > 0 and f["baseline"] > 0 and f["ratio"] > 0, f
