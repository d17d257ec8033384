"""Rebalance proposals: whole-lot orders toward target weights, the risk engine's verdict before and
after them, and what became of them (accepted, with an override reason when a limit is breached,
or rejected)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .portfolios import MONEY


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class RebalanceProposal(models.Model):
    portfolio = models.ForeignKey("portfolio.Portfolio", on_delete=models.CASCADE, related_name="proposals")
    optimization = models.ForeignKey(
        "portfolio.Optimization", on_delete=models.SET_NULL, null=True, blank=True, related_name="proposals"
    )
    target_weights = models.JSONField(default=dict)
    lot_sizes = models.JSONField(default=dict)
    cash_buffer = models.DecimalField(max_digits=12, decimal_places=8, default=0)
    orders = models.JSONField(default=list, help_text="symbol, side, lots, lot_size, quantity, price")
    prices = models.JSONField(default=dict)
    nav = models.DecimalField(**MONEY)
    cash_before = models.DecimalField(**MONEY)
    cash_after = models.DecimalField(**MONEY)
    risk_verdict = models.CharField(max_length=16, help_text="pass, warn or reject (the risk facade's)")
    risk_breach = models.BooleanField(default=False, help_text="a limit is breached after the orders")
    risk_check = models.JSONField(default=dict, help_text="limits with utilization before and after")
    notes = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED)
    override_reason = models.TextField(blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    transaction_ids = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("override_rebalance", "Accept a rebalance that breaches a risk limit")]
        constraints = [
            models.CheckConstraint(condition=Q(cash_after__gte=0), name="proposal_cash_after_non_negative"),
            models.CheckConstraint(
                condition=~Q(status="accepted", risk_breach=True, override_reason=""),
                name="proposal_breach_accepted_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.portfolio_id}:{self.status}"
