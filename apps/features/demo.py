"""This engine's part of `manage.py load_demo`: a few feature definitions, the feature set `demo`
pinning them, and their values computed into the store for every demo instrument (so
/api/features/values, /online and /historical answer right after `make up`; new bars from the live
feed then update them incrementally)."""

from __future__ import annotations

from django.core.management.base import OutputWrapper
from django.db import connection

from apps.marketdata import facade as marketdata

from .selectors.sets import set_get
from .services.compute import compute_chunk
from .services.definitions import definition_save
from .services.sets import set_create

DEMO_SET = "demo"
# name, function, params, output (None: the first), benchmark
DEFINITIONS = (
    ("rsi_14", "RSI", {"timeperiod": 14}, None, ""),
    ("sma_20", "SMA", {"timeperiod": 20}, None, ""),
    ("macd_signal", "MACD", {}, "macdsignal", ""),
    ("atr_14", "ATR", {"timeperiod": 14}, None, ""),
    ("bb_upper_20", "BBANDS", {"timeperiod": 20}, "upperband", ""),
    ("ret_1", "simple_returns", {"periods": 1}, None, ""),
    ("vol_yz_20", "yang_zhang_volatility", {"window": 20}, None, ""),
    ("adv_20", "adv", {"window": 20}, None, ""),
    ("beta_spy_60", "rolling_beta", {"window": 60}, None, "SPY"),
)


def seed(*, stdout: OutputWrapper | None = None) -> None:
    """Idempotent: an unchanged definition keeps its version, the set is made once, and the values
    are recomputed (a recompute replaces them). Nothing on SQLite: the feature store is PostgreSQL's."""
    if connection.vendor != "postgresql":
        if stdout is not None:
            stdout.write("features: skipped (the feature store needs PostgreSQL)")
        return
    has_benchmark = marketdata.instrument_get("SPY") is not None
    defined = [
        definition_save(name=name, function=function, params=params, output=output, benchmark=benchmark)
        for name, function, params, output, benchmark in DEFINITIONS
        if not benchmark or has_benchmark
    ]
    if set_get(DEMO_SET) is None:
        set_create(name=DEMO_SET, features=[d.label for d in defined], description="The demo's features.")
    symbols = sorted(i.symbol for i in marketdata.instruments_active())
    counts = (
        compute_chunk(definitions=defined, symbols=symbols) if symbols else {"instruments": 0, "values": 0}
    )
    if stdout is not None:
        stdout.write(
            f"features: set {DEMO_SET!r} ({len(defined)} definitions), {counts['values']:,} values stored "
            f"for {counts['instruments']} instruments"
        )
