"""Input validation and output shapes for the portfolio API. Business rules live in services."""

from __future__ import annotations

from decimal import Decimal, localcontext

from django.contrib.auth.models import Group
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from apps.marketdata import facade as marketdata
from apps.marketdata.models import Instrument
from apps.platform.fields import ColumnDecimalField, SymbolField, TimestampField

from . import permissions
from .models import CODE_RE, MONEY, QTY, CostMethod, Portfolio, Position, Transaction, TransactionType


def _decimal(spec: dict, **kw) -> serializers.DecimalField:
    """An output decimal shaped like its column."""
    return serializers.DecimalField(
        max_digits=spec["max_digits"], decimal_places=spec["decimal_places"], **kw
    )


def _column(model, name: str, **kw) -> ColumnDecimalField:
    """An input decimal that fits its column (and the API's magnitude bound)."""
    return ColumnDecimalField(model._meta.get_field(name), **kw)


class PositionSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    name = serializers.CharField(source="instrument.name", read_only=True)
    quantity = _decimal(QTY, read_only=True)
    average_cost = _decimal(QTY, read_only=True)
    cost_value = serializers.SerializerMethodField(help_text="quantity × average cost")

    class Meta:
        model = Position
        fields = ["instrument_id", "symbol", "name", "quantity", "average_cost", "cost_value", "updated_at"]

    def get_cost_value(self, obj: Position) -> str:
        # The product of two 28-digit columns can need more digits than the default context's 28.
        with localcontext() as ctx:
            ctx.prec = 60
            return format((obj.quantity * obj.average_cost).quantize(Decimal("1e-8")), "f")


class PortfolioSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    group = serializers.CharField(source="group.name", read_only=True, allow_null=True)
    benchmark = serializers.CharField(source="benchmark.symbol", read_only=True, allow_null=True)
    cash = _decimal(MONEY, read_only=True)

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
    initial_cash = _column(Portfolio, "cash", required=False, min_value=0, help_text="Booked as a deposit.")

    def validate_code(self, value: str) -> str:
        if Portfolio.objects.filter(code=value).exists():
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

    def validate_benchmark(self, value: str | None) -> Instrument | None:
        if not value:
            return None
        info = marketdata.instrument_get(value)
        if info is None:
            raise serializers.ValidationError(f"Unknown instrument {value.strip().upper()!r}.")
        return Instrument.objects.get(pk=info.id)


class TransactionSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="portfolio.code", read_only=True)
    symbol = serializers.CharField(source="instrument.symbol", read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    quantity = _decimal(QTY, read_only=True, allow_null=True)
    price = _decimal(MONEY, read_only=True, allow_null=True)
    fees = _decimal(MONEY, read_only=True)
    amount = _decimal(MONEY, read_only=True, allow_null=True)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "portfolio",
            "type",
            "symbol",
            "quantity",
            "price",
            "fees",
            "amount",
            "timestamp",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields  # an answer only: bookings are read by TransactionCreateSerializer


class TransactionCreateSerializer(serializers.Serializer):
    """Parses a booking. Who may book is decided here (403); whether the booking is allowed is the
    service's call (400 with the offending field)."""

    portfolio = serializers.CharField(help_text="Portfolio code.")
    type = serializers.ChoiceField(choices=TransactionType.choices)
    symbol = SymbolField(required=False, allow_null=True, allow_blank=True)
    quantity = _column(Transaction, "quantity", required=False, allow_null=True)
    price = _column(Transaction, "price", required=False, allow_null=True)
    fees = _column(Transaction, "fees", required=False, default=Decimal("0"))
    amount = _column(Transaction, "amount", required=False, allow_null=True)
    timestamp = TimestampField(
        required=False, allow_null=True, help_text="ISO 8601; UTC if no offset; 1900-01-01 to 2200-01-01."
    )

    def validate_portfolio(self, value: str) -> Portfolio:
        portfolio = Portfolio.objects.filter(code=value.strip()).first()
        if portfolio is None:
            raise serializers.ValidationError(f"Unknown portfolio {value!r}.")
        # Raised, not collected: someone else's portfolio is a 403 whatever else is wrong.
        if not permissions.can_book(self.context["request"].user, portfolio):
            raise PermissionDenied("You may not book transactions to this portfolio.")
        return portfolio

    def validate_symbol(self, value: str | None) -> str | None:
        if not value:
            return None
        info = marketdata.instrument_get(value)
        if info is None:
            raise serializers.ValidationError(f"Unknown instrument {value.strip().upper()!r}.")
        return info.symbol
