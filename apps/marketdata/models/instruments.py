"""Instruments: the reference data every other engine keys its numbers on."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

CURRENCY_RE = r"^[A-Z]{3}$"
currency_validator = RegexValidator(CURRENCY_RE, "Use a 3-letter ISO 4217 code in capitals, e.g. USD.")


class AssetClass(models.TextChoices):
    EQUITY = "equity", "Equity"
    ETF = "etf", "ETF"
    FUTURE = "future", "Future"
    OPTION = "option", "Option"
    FX = "fx", "FX"
    CRYPTO = "crypto", "Crypto"
    BOND = "bond", "Bond"
    INDEX = "index", "Index"
    COMMODITY = "commodity", "Commodity"


class Instrument(models.Model):
    symbol = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200, blank=True)
    asset_class = models.CharField(max_length=16, choices=AssetClass.choices, default=AssetClass.EQUITY)
    currency = models.CharField(max_length=3, default="USD", validators=[currency_validator])
    exchange = models.CharField(max_length=32, blank=True)
    sector = models.CharField(max_length=64, blank=True, db_index=True)
    industry = models.CharField(max_length=128, blank=True)
    country = models.CharField(max_length=64, blank=True)
    lot_size = models.DecimalField(
        max_digits=28,
        decimal_places=10,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Smallest tradable quantity step; must be greater than zero.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.CheckConstraint(condition=models.Q(lot_size__gt=0), name="instrument_lot_size_positive"),
            models.CheckConstraint(
                condition=models.Q(asset_class__in=AssetClass.values), name="instrument_asset_class_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=CURRENCY_RE), name="instrument_currency_iso"
            ),
            models.CheckConstraint(condition=~models.Q(symbol=""), name="instrument_symbol_not_blank"),
        ]

    def __str__(self) -> str:
        return self.symbol
