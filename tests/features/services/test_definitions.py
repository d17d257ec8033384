"""definition_save: versions, defaults, validation keyed by field, and concurrent saves."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from apps.features.models import FeatureDefinition
from apps.features.services.definitions import definition_save
from apps.marketdata.services import instrument_create

pytestmark = pytest.mark.django_db


def test_a_new_name_is_version_1_with_every_default_filled(user):
    d = definition_save(name="macd_std", function="macd", user=user)
    assert (d.version, d.function, d.output, d.interval, d.adjusted) == (1, "MACD", "macd", "1d", True)
    # TA-Lib's own defaults for MACD.
    assert d.params == {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}
    assert d.created_by == user


def test_the_same_spec_is_the_same_version_and_a_change_is_the_next():
    v1 = definition_save(name="rsi_14", function="RSI")
    # Spelling the default out, or the function in another case, is the same recipe.
    assert definition_save(name="rsi_14", function="rsi", params={"timeperiod": 14}).pk == v1.pk
    v2 = definition_save(name="rsi_14", function="RSI", params={"timeperiod": 21})
    assert v2.version == 2 and v2.params == {"timeperiod": 21}
    v1.refresh_from_db()
    assert v1.params == {"timeperiod": 14}  # v1 kept as it was
    assert definition_save(name="rsi_14", function="RSI", params={"timeperiod": 21}).pk == v2.pk
    # Back to the v1 recipe: a new version (v3), not v1 again: the latest is what "unchanged" means.
    assert definition_save(name="rsi_14", function="RSI").version == 3
    assert definition_save(name="rsi_14", function="RSI", interval="1h").version == 4
    assert definition_save(name="rsi_14", function="RSI", interval="1h", adjusted=False).version == 5
    assert FeatureDefinition.objects.filter(name="rsi_14").count() == 5


def test_extras_take_their_registry_defaults_and_single_output():
    d = definition_save(name="vol_yz", function="yang_zhang_volatility", params={"window": 30})
    assert d.function == "yang_zhang_volatility" and d.output == "real"
    assert d.params == {"window": 30, "periods_per_year": 252.0}


def test_output_of_a_multi_output_function():
    d = definition_save(name="bb_low", function="BBANDS", output="lowerband")
    assert d.output == "lowerband"
    assert definition_save(name="bb_low", function="BBANDS", output="upperband").version == 2


@pytest.mark.parametrize(
    ("kwargs", "field", "says"),
    [
        ({"function": "RSX"}, "function", "did you mean RSI"),
        ({"function": "amihd"}, "function", "amihud"),
        ({"function": "RSI", "params": {"timeperiod": 0}}, "params.timeperiod", "out of range"),
        ({"function": "RSI", "params": {"window": 3}}, "params.window", "allowed: timeperiod"),
        ({"function": "adv", "params": {"window": 2.5}}, "params.window", "integer"),
        ({"function": "MA", "params": {"matype": 42}}, "params.matype", "moving-average type"),
        ({"function": "RSI", "params": [14]}, "params", "object"),
        ({"function": "MACD", "output": "signal"}, "output", "macd, macdsignal, macdhist"),
        ({"function": "RSI", "interval": "2d"}, "interval", "1m, 5m"),
        ({"function": "RSI", "name": "RSI-14"}, "name", "lowercase"),
        ({"function": "RSI", "name": "x" * 65}, "name", "64"),
        ({"function": "rolling_beta"}, "benchmark", "reads a benchmark"),
        ({"function": "rolling_correlation", "benchmark": "  "}, "benchmark", "reads a benchmark"),
        ({"function": "rolling_beta", "benchmark": "NOPE"}, "benchmark", "unknown instrument 'NOPE'"),
        ({"function": "rolling_beta", "benchmark": 7}, "benchmark", "symbol"),
        ({"function": "RSI", "benchmark": "SPY"}, "benchmark", "RSI reads no benchmark"),
        ({"function": "price_to_earnings", "benchmark": "SPY"}, "benchmark", "reads no benchmark"),
    ],
)
def test_bad_input_names_the_field(spy, kwargs, field, says):
    kwargs = {"name": "f", **kwargs}
    with pytest.raises(ValidationError) as err:
        definition_save(**kwargs)
    assert list(err.value.message_dict) == [field]
    assert says in " ".join(err.value.message_dict[field])
    assert not FeatureDefinition.objects.exists()


@pytest.fixture
def spy(db):
    instrument_create(symbol="SPY")
    instrument_create(symbol="QQQ")


def test_the_benchmark_is_part_of_the_recipe(spy):
    v1 = definition_save(name="beta", function="rolling_beta", benchmark="spy")
    assert (v1.version, v1.benchmark, v1.params) == (1, "SPY", {"window": 60})
    assert definition_save(name="beta", function="rolling_beta", benchmark=" SPY ").pk == v1.pk
    v2 = definition_save(name="beta", function="rolling_beta", benchmark="QQQ")
    assert (v2.version, v2.benchmark) == (2, "QQQ")
    v1.refresh_from_db()
    assert v1.benchmark == "SPY"
    # Functions that read no benchmark store it blank, whether it was left out or given blank.
    rsi = definition_save(name="rsi", function="RSI")
    assert rsi.benchmark == "" and definition_save(name="rsi", function="RSI", benchmark="").pk == rsi.pk
    assert definition_save(name="rsi", function="RSI", benchmark=None).pk == rsi.pk


def test_the_database_refuses_a_duplicate_version():
    definition_save(name="dup", function="RSI")
    with pytest.raises(IntegrityError), transaction.atomic():
        FeatureDefinition.objects.create(name="dup", version=1, function="RSI", params={}, output="real")
    with pytest.raises(IntegrityError), transaction.atomic():
        FeatureDefinition.objects.create(name="dup", version=0, function="RSI", params={}, output="real")


def _race(saves: list[dict]) -> list:
    """Run each save in its own thread (own connection), released together by a barrier."""
    barrier = threading.Barrier(len(saves))
    results: list = [None] * len(saves)

    def run(i, kwargs):
        try:
            barrier.wait()
            results[i] = definition_save(**kwargs)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, kw)) for i, kw in enumerate(saves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row and advisory locks need PostgreSQL")
def test_concurrent_saves_never_duplicate_a_version():
    definition_save(name="race", function="RSI")
    # Four different recipes at once on an existing name: versions 2..5, each once.
    results = _race([{"name": "race", "function": "RSI", "params": {"timeperiod": p}} for p in (5, 6, 7, 8)])
    assert all(isinstance(r, FeatureDefinition) for r in results), results
    assert sorted(r.version for r in results) == [2, 3, 4, 5]
    # The same recipe four times on a brand-new name: one version 1, returned to all four.
    results = _race([{"name": "fresh", "function": "adv"}] * 4)
    assert all(isinstance(r, FeatureDefinition) for r in results), results
    assert {r.pk for r in results} == {FeatureDefinition.objects.get(name="fresh").pk}
    assert list(FeatureDefinition.objects.filter(name="race").values_list("version", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]
