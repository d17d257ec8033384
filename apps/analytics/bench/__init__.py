"""`manage.py bench analytics`: the metric kernel against QuantStats (kernel) and the calculate
endpoint's latency (latency)."""

from .kernel import run

__all__ = ["run"]
