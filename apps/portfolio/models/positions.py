"""Positions: derived state, kept in step with every booking and rebuilt from the transactions alone."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from .portfolios import QTY, Portfolio


class Position(models.Model):
    """What a portfolio holds of one instrument. A flat position has no row."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="positions")
    instrument = models.ForeignKey("marketdata.Instrument", on_delete=models.PROTECT, related_name="+")
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
