"""Request and response shapes of the optimization endpoints; every number is bounded, every
choice named, so a bad request is a 400 on the field that is wrong."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.platform.fields import TimestampField

from ...kernels.optimization.covariance import COVARIANCE_ESTIMATORS
from ...kernels.optimization.estimators import MISSING_POLICIES
from ...selectors.optimization_estimates import RETURN_ESTIMATORS
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


class FactorSpecSerializer(serializers.Serializer):
    """The factor of the `factor` estimator: a stored one by name or a formula (not both)."""

    factor = serializers.CharField(
        required=False, max_length=200, help_text='a stored factor: "name", "name@version" or "gen.*"'
    )
    formula = serializers.CharField(required=False, max_length=2000, help_text="a factor formula")
    ic = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=-1,
        max_value=1,
        help_text="information coefficient; estimated over the window when absent",
    )

    def validate(self, attrs):
        if bool(attrs.get("factor")) == bool(attrs.get("formula")):
            raise serializers.ValidationError({"factor": "give one of factor or formula"})
        return attrs


class EstimatorSerializer(serializers.Serializer):
    returns = serializers.ChoiceField(choices=RETURN_ESTIMATORS, default="mean")
    factor = FactorSpecSerializer(required=False, help_text='the factor of returns "factor"')
    # the factor covariance needs factor returns and exposures the API does not take yet
    covariance = serializers.ChoiceField(
        choices=[c for c in COVARIANCE_ESTIMATORS if c != "factor"], default="ledoit_wolf"
    )
    missing = serializers.ChoiceField(choices=MISSING_POLICIES, default="drop_dates")
    params = EstimatorParamsSerializer(required=False)

    def validate(self, attrs):
        if attrs["returns"] == "factor" and "factor" not in attrs:
            raise serializers.ValidationError({"factor": 'returns "factor" needs {factor | formula}'})
        if attrs["returns"] != "factor" and "factor" in attrs:
            raise serializers.ValidationError({"factor": 'only with returns "factor"'})
        return attrs


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


class SymbolsField(serializers.ListField):
    """One symbol or a list of them (a leg of a relative view)."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(max_length=32), min_length=1, max_length=100, **kwargs)

    def to_internal_value(self, data):
        symbols = super().to_internal_value([data] if isinstance(data, str) else data)
        return list(dict.fromkeys(s.strip().upper() for s in symbols))


class ViewSerializer(serializers.Serializer):
    """A Black-Litterman view: absolute ({asset, return}: the asset returns this much) or relative
    ({long, short, return}: the long leg beats the short leg by this much), with a confidence."""

    asset = serializers.CharField(required=False, max_length=32)
    long = SymbolsField(required=False)
    short = SymbolsField(required=False)
    confidence = serializers.FloatField(
        required=False, min_value=0, max_value=1, help_text="Idzorek's, in [0, 1]; 0 leaves the view out"
    )

    def get_fields(self):
        fields = super().get_fields()
        # "return" is a Python keyword: declared here rather than as a class attribute
        fields["return"] = serializers.FloatField(min_value=-10, max_value=10, help_text="annual, e.g. 0.05")
        return fields

    def validate(self, attrs):
        if "asset" in attrs:
            if "long" in attrs or "short" in attrs:
                raise serializers.ValidationError({"asset": "an absolute view names no long or short leg"})
            attrs["asset"] = attrs["asset"].strip().upper()
        elif "long" not in attrs or "short" not in attrs:
            raise serializers.ValidationError(
                {"asset": "give asset (absolute view) or long and short (relative)"}
            )
        elif set(attrs["long"]) & set(attrs["short"]):
            raise serializers.ValidationError({"short": "a symbol cannot be on both legs"})
        return attrs


class BenchmarkSerializer(serializers.Serializer):
    """Weights over the universe, one instrument, or a portfolio; it must lie inside the universe."""

    weights = PerSymbolField(required=False, min_value=-10, max_value=10)
    symbol = serializers.CharField(required=False, max_length=32)
    portfolio = serializers.CharField(required=False, max_length=64)

    def validate_weights(self, value):
        if not isinstance(value, dict) or not value:
            raise serializers.ValidationError("{symbol: weight}")
        return value

    def validate_symbol(self, value):
        return value.strip().upper()

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError({"weights": "give exactly one of weights, symbol or portfolio"})
        return attrs


class MethodParamsSerializer(serializers.Serializer):
    target_return = serializers.FloatField(required=False, min_value=-10, max_value=10)
    target_volatility = serializers.FloatField(required=False, min_value=0, max_value=10)
    risk_aversion = serializers.FloatField(required=False, min_value=0, max_value=1e6)
    points = serializers.IntegerField(required=False, min_value=2, max_value=200)
    beta = serializers.FloatField(required=False, min_value=0.5, max_value=0.999)
    budgets = PerSymbolField(required=False, min_value=1e-9, max_value=1e6)

    # black_litterman
    views = ViewSerializer(many=True, required=False, min_length=1, max_length=100)
    omega = serializers.ChoiceField(choices=["idzorek", "he_litterman"], required=False)
    tau = serializers.FloatField(required=False, min_value=1e-6, max_value=1)
    prior = serializers.ChoiceField(
        choices=["equal", "benchmark"],
        required=False,
        help_text="the market portfolio of the prior (no market capitalizations are stored)",
    )
    objective = serializers.ChoiceField(choices=["max_sharpe", "max_utility"], required=False)
    # tracking_error (and a benchmark prior)
    benchmark = BenchmarkSerializer(required=False)
    tracking_error = serializers.FloatField(
        required=False, min_value=1e-4, max_value=5, help_text="the cap, annual volatility units"
    )

    def validate_budgets(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("{symbol: budget}")
        return value

    def validate(self, attrs):
        if attrs.get("views") and attrs.get("omega", "idzorek") == "idzorek":
            missing = {
                k: {"confidence": "required with omega idzorek (or use omega he_litterman)"}
                for k, v in enumerate(attrs["views"])
                if "confidence" not in v
            }
            if missing:
                raise serializers.ValidationError({"views": missing})
        return attrs


REQUIRED = {
    "efficient_return": "target_return",
    "efficient_risk": "target_volatility",
    "max_utility": "risk_aversion",
    "black_litterman": "views",
    "tracking_error": "tracking_error",
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
    details = serializers.DictField(
        help_text="method-specific output: black_litterman (prior, posterior, views), benchmark and "
        "tracking_error (cap, achieved, active return), estimator (factor IC, scores), missing_data"
    )


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
