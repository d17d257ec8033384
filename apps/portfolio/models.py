"""The book of record: portfolios, the transactions booked to them, and the positions they imply.

Positions and cash are derived state: `services.transaction_record` keeps them in step with every
booking, and `services.positions_rebuild` recomputes them from the transactions alone.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.marketdata.models import CURRENCY_RE, Instrument, currency_validator

# Quantities need more fractional digits than money (crypto, FX lots); money keeps 8.
QTY = {"max_digits": 28, "decimal_places": 10}
MONEY = {"max_digits": 28, "decimal_places": 8}

CODE_RE = r"^[a-z0-9][a-z0-9_-]*$"
code_validator = RegexValidator(
    CODE_RE, "Use lower-case letters, digits, '_' and '-', starting with a letter or digit."
)


class CostMethod(models.TextChoices):
    FIFO = "fifo", "FIFO lots"
    AVERAGE = "average", "Average cost"


class Portfolio(models.Model):
    code = models.CharField(max_length=64, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="portfolios")
    group = models.ForeignKey(
        "auth.Group",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="portfolios",
        help_text="Members of this group may view the portfolio.",
    )
    base_currency = models.CharField(max_length=3, default="USD", validators=[currency_validator])
    benchmark = models.ForeignKey(
        Instrument, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cash = models.DecimalField(**MONEY, default=Decimal("0"))
    long_only = models.BooleanField(default=True)
    # How analytics matches sells against buys for realized P&L; the book's Position keeps an average
    # cost either way.
    cost_method = models.CharField(max_length=16, choices=CostMethod.choices, default=CostMethod.FIFO)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=CODE_RE), name="portfolio_code_slug"),
            models.CheckConstraint(
                condition=Q(base_currency__regex=CURRENCY_RE), name="portfolio_currency_iso"
            ),
        ]

    def __str__(self) -> str:
        return self.code


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
        Instrument, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.DecimalField(**QTY, null=True, blank=True)
    price = models.DecimalField(**MONEY, null=True, blank=True)
    fees = models.DecimalField(**MONEY, default=Decimal("0"))
    amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="Cash movements, fees, dividends.")
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


class Position(models.Model):
    """What a portfolio holds of one instrument. A flat position has no row."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="positions")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QTY)
    average_cost = models.DecimalField(**QTY, help_text="Average execution price of the open quantity.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["portfolio_id", "instrument__symbol"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "instrument"], name="position_unique_per_portfolio"),
            models.CheckConstraint(condition=~Q(quantity=0), name="position_not_flat"),
            models.CheckConstraint(
                condition=Q(average_cost__gte=0), name="position_average_cost_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.portfolio_id}:{self.instrument_id} {self.quantity}"
