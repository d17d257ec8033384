"""Input validation and output shapes for transactions. Business rules live in services."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from apps.marketdata import facade as marketdata
from apps.platform.fields import SymbolField, TimestampField

from ... import selectors
from ...models import FX_RATE, MONEY, QTY, Portfolio, Transaction, TransactionType
from .fields import decimal_in, decimal_out


class TransactionSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="portfolio.code", read_only=True)
    symbol = serializers.CharField(source="instrument.symbol", read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    quantity = decimal_out(QTY, read_only=True, allow_null=True)
    price = decimal_out(MONEY, read_only=True, allow_null=True)
    fees = decimal_out(MONEY, read_only=True)
    amount = decimal_out(MONEY, read_only=True, allow_null=True)
    fx_rate = decimal_out(
        FX_RATE,
        read_only=True,
        help_text="Base-currency units per unit of the instrument's currency at the booking; the cash moved "
        "by this much in base. 1 without an instrument or in the base currency.",
    )

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
            "fx_rate",
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
    quantity = decimal_in(Transaction, "quantity", required=False, allow_null=True)
    price = decimal_in(Transaction, "price", required=False, allow_null=True)
    fees = decimal_in(Transaction, "fees", required=False, default=Decimal("0"))
    amount = decimal_in(Transaction, "amount", required=False, allow_null=True)
    timestamp = TimestampField(
        required=False, allow_null=True, help_text="ISO 8601; UTC if no offset; 1900-01-01 to 2200-01-01."
    )

    def validate_portfolio(self, value: str) -> Portfolio:
        portfolio = selectors.portfolio_by_code(value.strip())
        if portfolio is None:
            raise serializers.ValidationError(f"Unknown portfolio {value!r}.")
        # Raised, not collected: someone else's portfolio is a 403 whatever else is wrong.
        if not selectors.can_book(self.context["request"].user, portfolio):
            raise PermissionDenied("You may not book transactions to this portfolio.")
        return portfolio

    def validate_symbol(self, value: str | None) -> str | None:
        if not value:
            return None
        info = marketdata.instrument_get(value)
        if info is None:
            raise serializers.ValidationError(f"Unknown instrument {value.strip().upper()!r}.")
        return info.symbol
