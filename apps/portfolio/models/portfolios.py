"""Portfolios: who owns them, their base currency, benchmark and cash (derived from transactions)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from apps.marketdata.facade import CURRENCY_RE, currency_validator

# Quantities need more fractional digits than money (crypto, FX lots); money keeps 8.
QTY = {"max_digits": 28, "decimal_places": 10}
MONEY = {"max_digits": 28, "decimal_places": 8}
FX_RATE = {"max_digits": 24, "decimal_places": 12}

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
        "marketdata.Instrument", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
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
