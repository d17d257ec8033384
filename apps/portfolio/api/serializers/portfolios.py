"""Input validation and output shapes for portfolios. Business rules live in services."""

from __future__ import annotations

from django.contrib.auth.models import Group
from rest_framework import serializers

from apps.marketdata import facade as marketdata
from apps.platform.fields import SymbolField

from ... import selectors
from ...models import CODE_RE, MONEY, CostMethod, Portfolio
from .fields import decimal_in, decimal_out
from .positions import PositionSerializer


class PortfolioSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    group = serializers.CharField(source="group.name", read_only=True, allow_null=True)
    benchmark = serializers.CharField(source="benchmark.symbol", read_only=True, allow_null=True)
    cash = decimal_out(MONEY, read_only=True)

    class Meta:
        model = Portfolio
        fields = [
            "id",
            "code",
            "name",
            "owner",
            "group",
            "base_currency",
            "benchmark",
            "cash",
            "long_only",
            "cost_method",
            "created_at",
            "updated_at",
        ]


class PortfolioDetailSerializer(PortfolioSerializer):
    positions = PositionSerializer(many=True, read_only=True)

    class Meta(PortfolioSerializer.Meta):
        fields = [*PortfolioSerializer.Meta.fields, "positions"]


class PortfolioCreateSerializer(serializers.Serializer):
    code = serializers.RegexField(
        CODE_RE,
        max_length=64,
        error_messages={"invalid": "Use lower-case letters, digits, '_' and '-', e.g. portfolio_001."},
    )
    name = serializers.CharField(max_length=200)
    group = serializers.CharField(required=False, allow_null=True, help_text="Name of a group you belong to.")
    base_currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False, default="USD")
    benchmark = SymbolField(required=False, allow_null=True, help_text="Benchmark instrument symbol.")
    long_only = serializers.BooleanField(required=False, default=True)
    cost_method = serializers.ChoiceField(choices=CostMethod.choices, required=False, default=CostMethod.FIFO)
    initial_cash = decimal_in(
        Portfolio, "cash", required=False, min_value=0, help_text="Booked as a deposit."
    )

    def validate_code(self, value: str) -> str:
        if selectors.portfolio_code_taken(value):
            raise serializers.ValidationError(f"A portfolio with code {value!r} already exists.")
        return value

    def validate_group(self, value: str | None) -> Group | None:
        if not value:
            return None
        group = Group.objects.filter(name=value).first()
        user = self.context["request"].user
        if group is None or not (user.is_staff or user.groups.filter(pk=group.pk).exists()):
            raise serializers.ValidationError(f"No group {value!r} that you belong to.")
        return group

    def validate_base_currency(self, value: str) -> str:
        return value.upper()

    def validate_benchmark(self, value: str | None) -> marketdata.InstrumentInfo | None:
        if not value:
            return None
        info = marketdata.instrument_get(value)
        if info is None:
            raise serializers.ValidationError(f"Unknown instrument {value.strip().upper()!r}.")
        return info
