"""Transactions: the bookings of a portfolio, immutable once recorded."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .portfolios import FX_RATE, MONEY, QTY, Portfolio


class TransactionType(models.TextChoices):
    BUY = "buy", "Buy"
    SELL = "sell", "Sell"
    DEPOSIT = "deposit", "Deposit"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    FEE = "fee", "Fee"
    DIVIDEND = "dividend", "Dividend"


TRADE_TYPES = (TransactionType.BUY, TransactionType.SELL)
CASH_TYPES = (TransactionType.DEPOSIT, TransactionType.WITHDRAWAL, TransactionType.FEE)
AMOUNT_TYPES = (*CASH_TYPES, TransactionType.DIVIDEND)


class Transaction(models.Model):
    """One booking. Immutable once recorded: corrections are new, opposite bookings."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="transactions")
    type = models.CharField(max_length=16, choices=TransactionType.choices)
    instrument = models.ForeignKey(
        "marketdata.Instrument", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.DecimalField(**QTY, null=True, blank=True)
    price = models.DecimalField(**MONEY, null=True, blank=True)
    fees = models.DecimalField(**MONEY, default=Decimal("0"))
    amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="Cash movements, fees, dividends.")
    fx_rate = models.DecimalField(
        **FX_RATE,
        default=Decimal("1"),
        help_text="Units of the portfolio's base currency per unit of the instrument's currency at the "
        "booking: its cash (notional, fees, dividend or fee amount) moves by this much in base. 1 when "
        "no instrument is named or it is quoted in the base currency.",
    )
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["portfolio", "timestamp"], name="portfolio_tx_pf_ts")]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=TransactionType.values), name="transaction_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gt=0), name="transaction_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0), name="transaction_price_non_negative"
            ),
            models.CheckConstraint(condition=Q(fees__gte=0), name="transaction_fees_non_negative"),
            models.CheckConstraint(condition=Q(fx_rate__gt=0), name="transaction_fx_rate_positive"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="transaction_amount_positive"
            ),
            # A trade names what, how many and at what price; a cash movement carries an amount.
            models.CheckConstraint(
                condition=~Q(type__in=TRADE_TYPES)
                | (Q(instrument__isnull=False) & Q(quantity__isnull=False) & Q(price__isnull=False)),
                name="transaction_trade_fields",
            ),
            models.CheckConstraint(
                condition=~Q(type__in=AMOUNT_TYPES) | Q(amount__isnull=False),
                name="transaction_amount_required",
            ),
            models.CheckConstraint(
                condition=~Q(type=TransactionType.DIVIDEND) | Q(instrument__isnull=False),
                name="transaction_dividend_instrument",
            ),
            models.CheckConstraint(
                condition=~Q(type__in=(TransactionType.DEPOSIT, TransactionType.WITHDRAWAL))
                | Q(instrument__isnull=True),
                name="transaction_cash_movement_no_instrument",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"
