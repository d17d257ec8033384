"""Input and output shapes of the check and monitor endpoints. The arithmetic lives in selectors/check.py."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import BoundedFloatField, JSONOnlyFieldsMixin, SymbolField

from ...kernels import catalog

# Quantities, prices and values are BoundedFloatFields (finite, magnitude at most 1e15): that also
# keeps every product of them (values, exposures, VaR) far from float overflow.


class CheckPositionSerializer(serializers.Serializer):
    symbol = SymbolField()
    quantity = BoundedFloatField(help_text="Signed units: negative is short; not zero.")
    price = BoundedFloatField(
        required=False,
        allow_null=True,
        help_text="Valuation price in the instrument's currency; default the latest close.",
    )

    def validate(self, attrs: dict) -> dict:
        if attrs["quantity"] == 0:
            raise serializers.ValidationError({"quantity": "Must not be zero."})
        if attrs.get("price") is not None and attrs["price"] <= 0:
            raise serializers.ValidationError({"price": "Must be positive."})
        return attrs


class CheckOrderSerializer(serializers.Serializer):
    symbol = SymbolField()
    side = serializers.ChoiceField(choices=["buy", "sell"])
    quantity = BoundedFloatField(help_text="Units, positive; the side gives the direction.")
    price = BoundedFloatField(
        required=False, allow_null=True, help_text="Expected execution price; default the latest close."
    )

    def validate(self, attrs: dict) -> dict:
        if attrs["quantity"] <= 0:
            raise serializers.ValidationError(
                {"quantity": "Must be positive (the side gives the direction)."}
            )
        if attrs.get("price") is not None and attrs["price"] <= 0:
            raise serializers.ValidationError({"price": "Must be positive."})
        return attrs


class CheckRequestSerializer(JSONOnlyFieldsMixin, serializers.Serializer):
    json_only_fields = ("positions", "orders")
    portfolio_value = BoundedFloatField(
        required=False, allow_null=True, help_text="NAV to use (base currency); default the book's own."
    )
    positions = CheckPositionSerializer(
        many=True, required=False, allow_null=True, help_text="Ad-hoc positions replacing the stored book."
    )
    orders = CheckOrderSerializer(
        many=True, required=False, allow_null=True, help_text="Proposed orders: a pre-trade check."
    )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("portfolio_value") is not None and attrs["portfolio_value"] <= 0:
            raise serializers.ValidationError({"portfolio_value": "Must be positive."})
        return attrs


class CheckSideSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="In the limit's unit; null: no data.")
    utilization = serializers.FloatField(allow_null=True, help_text="value / breach threshold.")
    status = serializers.ChoiceField(choices=list(catalog.STATUSES))
    bucket = serializers.CharField(
        allow_blank=True, help_text="The bucket measured (largest, or the scoped one)."
    )
    breach_probability = serializers.FloatField(allow_null=True, help_text="P(breach within 1 day).")


class CheckLimitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    # Plain strings: the limit serializers already name these enums (one of catalog's codes).
    limit_type = serializers.CharField(help_text="One of the catalog's limit types.")
    scope = serializers.CharField(help_text="portfolio, instrument, sector, industry or currency.")
    scope_value = serializers.CharField(allow_blank=True)
    unit = serializers.CharField(help_text="absolute, pct_nav or ratio.")
    severity = serializers.CharField()
    is_global = serializers.BooleanField()
    warn_threshold = serializers.FloatField(allow_null=True)
    breach_threshold = serializers.FloatField()
    before = CheckSideSerializer(allow_null=True, help_text="Before the orders (null without orders).")
    after = CheckSideSerializer()


class CheckResponseSerializer(serializers.Serializer):
    portfolio = serializers.CharField()
    base_currency = serializers.CharField()
    source = serializers.ChoiceField(choices=["book", "positions"])
    orders = serializers.IntegerField()
    as_of = serializers.DateTimeField(allow_null=True, help_text="Timestamp of the latest price used.")
    nav_before = serializers.FloatField(allow_null=True)
    nav = serializers.FloatField(allow_null=True)
    verdict = serializers.ChoiceField(choices=["pass", "warn", "reject"])
    reasons = serializers.ListField(child=serializers.CharField())
    limits = CheckLimitSerializer(many=True)


class MonitorScheduleSerializer(serializers.Serializer):
    name = serializers.CharField()
    enabled = serializers.BooleanField()
    every_seconds = serializers.FloatField(allow_null=True)
    expire_seconds = serializers.IntegerField(allow_null=True)
    queue = serializers.CharField(allow_null=True)
    priority = serializers.IntegerField(allow_null=True)
    last_run_at = serializers.DateTimeField(allow_null=True)


class MonitorStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    changed_at = serializers.DateTimeField(allow_null=True)
    schedule = MonitorScheduleSerializer(
        allow_null=True, help_text="The Beat row; null before sync_schedules."
    )
    last_run = serializers.DictField()
    slow = serializers.DictField(
        help_text="The slow streak: since (its first run over half the interval; null when none) and runs_total."
    )
    open_breaches = serializers.DictField()
