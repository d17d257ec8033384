"""Request and response shapes of the optimization endpoints; every number is bounded, every
choice named, so a bad request is a 400 on the field that is wrong."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.platform.fields import TimestampField

from ...kernels.optimization.covariance import COVARIANCE_ESTIMATORS
from ...kernels.optimization.estimators import MISSING_POLICIES, RETURN_ESTIMATORS
from ...services.optimizations import METHODS

Weight = serializers.FloatField


@extend_schema_field(
    {"oneOf": [{"type": "number"}, {"type": "object", "additionalProperties": {"type": "number"}}]}
)
class PerSymbolField(serializers.Field):
    """A number for every asset, or {symbol: number}."""

    def __init__(self, *, min_value: float, max_value: float, **kwargs):
        self.bounds = (min_value, max_value)
        super().__init__(**kwargs)

    def _number(self, value, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise serializers.ValidationError(f"{where}: a number")
        lo, hi = self.bounds
        if not lo <= value <= hi:
            raise serializers.ValidationError(f"{where}: between {lo:g} and {hi:g}")
        return float(value)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            return {str(k).upper(): self._number(v, str(k)) for k, v in data.items()}
        return self._number(data, "value")

    def to_representation(self, value):
        return value


class CapsField(serializers.DictField):
    """{group: cap} or {group: {"min": x, "max": y}}."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("{group: cap or {min, max}}")
        out = {}
        for group, cap in data.items():
            if isinstance(cap, int | float) and not isinstance(cap, bool) and -10 <= cap <= 10:
                out[str(group)] = float(cap)
            elif isinstance(cap, dict) and set(cap) <= {"min", "max"} and cap:
                for v in cap.values():
                    if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
                        raise serializers.ValidationError(f"{group}: min and max are numbers")
                out[str(group)] = {"min": cap.get("min"), "max": cap.get("max")}
            else:
                raise serializers.ValidationError(f"{group}: a number in [-10, 10] or {{min, max}}")
        return out


class RangeSerializer(serializers.Serializer):
    min = serializers.FloatField(required=False, allow_null=True, min_value=-10, max_value=10)
    max = serializers.FloatField(required=False, allow_null=True, min_value=-10, max_value=10)


class ConstraintsSerializer(serializers.Serializer):
    long_only = serializers.BooleanField(required=False)
    min_weight = PerSymbolField(required=False, min_value=-10, max_value=10)
    max_weight = PerSymbolField(required=False, min_value=-10, max_value=10)
    budget = serializers.FloatField(required=False, min_value=-10, max_value=10)
    net_exposure = RangeSerializer(required=False)
    gross_leverage = serializers.FloatField(required=False, min_value=0, max_value=20)
    sector_caps = CapsField(required=False)
    industry_caps = CapsField(required=False)
    max_turnover = serializers.FloatField(required=False, min_value=0, max_value=40)
    transaction_costs = PerSymbolField(required=False, min_value=0, max_value=1)
    min_position = serializers.FloatField(required=False, min_value=0, max_value=1)
    max_names = serializers.IntegerField(required=False, min_value=1, max_value=10_000)


class EstimatorParamsSerializer(serializers.Serializer):
    frequency = serializers.FloatField(required=False, min_value=1, max_value=366)
    span = serializers.FloatField(required=False, min_value=2, max_value=10_000)
    cov_span = serializers.FloatField(required=False, min_value=2, max_value=10_000)
    compounding = serializers.BooleanField(required=False)
    n_factors = serializers.IntegerField(required=False, min_value=1, max_value=100)
    min_observations = serializers.IntegerField(required=False, min_value=2, max_value=100_000)


class EstimatorSerializer(serializers.Serializer):
    returns = serializers.ChoiceField(choices=RETURN_ESTIMATORS, default="mean")
    # the factor covariance needs factor returns and exposures the API does not take yet
    covariance = serializers.ChoiceField(
        choices=[c for c in COVARIANCE_ESTIMATORS if c != "factor"], default="ledoit_wolf"
    )
    missing = serializers.ChoiceField(choices=MISSING_POLICIES, default="drop_dates")
    params = EstimatorParamsSerializer(required=False)


class OptimizationWindowSerializer(serializers.Serializer):
    start = TimestampField(required=False, allow_null=True)
    end = TimestampField(required=False, allow_null=True)
    lookback = serializers.IntegerField(
        required=False, allow_null=True, min_value=2, max_value=100_000, help_text="the last N daily returns"
    )

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"end": "after start"})
        return attrs


class MethodParamsSerializer(serializers.Serializer):
    target_return = serializers.FloatField(required=False, min_value=-10, max_value=10)
    target_volatility = serializers.FloatField(required=False, min_value=0, max_value=10)
    risk_aversion = serializers.FloatField(required=False, min_value=0, max_value=1e6)
    points = serializers.IntegerField(required=False, min_value=2, max_value=200)
    beta = serializers.FloatField(required=False, min_value=0.5, max_value=0.999)
    budgets = PerSymbolField(required=False, min_value=1e-9, max_value=1e6)

    def validate_budgets(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("{symbol: budget}")
        return value


REQUIRED = {
    "efficient_return": "target_return",
    "efficient_risk": "target_volatility",
    "max_utility": "risk_aversion",
}


class OptimizeSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=METHODS)
    estimator = EstimatorSerializer(required=False)
    constraints = ConstraintsSerializer(required=False)
    universe = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, min_length=2, max_length=5000
    )
    window = OptimizationWindowSerializer(required=False)
    params = MethodParamsSerializer(required=False)
    risk_free_rate = serializers.FloatField(required=False, default=0.0, min_value=-1, max_value=1)

    def validate(self, attrs):
        needed = REQUIRED.get(attrs["method"])
        if needed and needed not in attrs.get("params", {}):
            raise serializers.ValidationError({"params": {needed: f"{attrs['method']} needs {needed}"}})
        return attrs


class FrontierQuerySerializer(serializers.Serializer):
    points = serializers.IntegerField(required=False, default=20, min_value=2, max_value=200)


class OptimizationSerializer(serializers.Serializer):
    """The stored optimization's document (see selectors/optimizations.py)."""

    id = serializers.IntegerField()
    portfolio = serializers.CharField()
    method = serializers.CharField()
    status = serializers.CharField()
    weights = serializers.DictField(child=serializers.FloatField())
    expected_return = serializers.FloatField(allow_null=True)
    volatility = serializers.FloatField(allow_null=True)
    sharpe = serializers.FloatField(allow_null=True)
    risk_contributions = serializers.DictField(child=serializers.FloatField())
    solver = serializers.CharField()
    infeasibility = serializers.DictField(allow_null=True)


class FrontierPointSerializer(serializers.Serializer):
    target_return = serializers.FloatField(allow_null=True)
    expected_return = serializers.FloatField(allow_null=True)
    volatility = serializers.FloatField(allow_null=True)
    sharpe = serializers.FloatField(allow_null=True)
    weights = serializers.DictField(child=serializers.FloatField(), allow_null=True)


class FrontierSerializer(serializers.Serializer):
    optimization = serializers.IntegerField()
    points = FrontierPointSerializer(many=True)
    setup_seconds = serializers.FloatField()
    solve_seconds = serializers.FloatField()
    solvers = serializers.ListField(child=serializers.CharField())
    warm_started_points = serializers.IntegerField(required=False, help_text="points OSQP solved warm")
