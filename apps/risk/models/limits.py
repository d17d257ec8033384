"""Risk limits and their audit trail.

A limit with no portfolio is a global default: it applies to every portfolio that has no limit of
its own with the same (type, scope, scope_value). Which scopes and units a type accepts is in
kernels/catalog.py; the service validates that (a database constraint cannot see the catalog's
per-type rules), the constraints below keep what holds for every type.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ..kernels import catalog

TYPE_CHOICES = [(t.code, t.label) for t in catalog.LIMIT_TYPES]
SCOPE_CHOICES = [(s, s.capitalize()) for s in catalog.SCOPES]
UNIT_CHOICES = [("absolute", "Absolute (base currency)"), ("pct_nav", "% of NAV"), ("ratio", "Ratio")]
SEVERITY_CHOICES = [(s, s.capitalize()) for s in catalog.SEVERITIES]


# What defines a limit (besides its portfolio and escalation policy), in the order the audit trail,
# the API and the limit resolution read it.
DEFINITION_FIELDS = (
    "name",
    "limit_type",
    "scope",
    "scope_value",
    "unit",
    "warn_threshold",
    "breach_threshold",
    "severity",
    "enabled",
    "confidence",
    "horizon_days",
    "window_days",
    "resolve_after_seconds",
)


class RiskLimit(models.Model):
    portfolio = models.ForeignKey(
        "portfolio.Portfolio",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: a global default for every portfolio without its own limit of this kind.",
    )
    name = models.CharField(max_length=120, blank=True)
    limit_type = models.CharField(max_length=32, choices=TYPE_CHOICES)
    scope = models.CharField(max_length=16, choices=SCOPE_CHOICES, default="portfolio")
    scope_value = models.CharField(
        max_length=128, blank=True, help_text="The symbol, sector, industry or currency the limit is on."
    )
    unit = models.CharField(max_length=16, choices=UNIT_CHOICES, default="absolute")
    warn_threshold = models.FloatField(null=True, blank=True)
    breach_threshold = models.FloatField()
    severity = models.CharField(max_length=16, choices=SEVERITY_CHOICES, default="high")
    enabled = models.BooleanField(default=True)
    # Parameters some types use (VaR/ES/FX risk: confidence and horizon; turnover/drawdown: window).
    confidence = models.FloatField(default=0.99)
    horizon_days = models.FloatField(default=1.0)
    window_days = models.PositiveIntegerField(default=1)
    resolve_after_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Hysteresis: a breach resolves after staying below the warn level this long "
        "(empty: RISK_BREACH_RESOLVE_AFTER_SECONDS).",
    )
    escalation_policy = models.ForeignKey(
        "risk.EscalationPolicy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="limits",
        help_text="Empty: the default policy.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["portfolio_id", "limit_type", "scope", "scope_value", "id"]
        indexes = [models.Index(fields=["portfolio", "enabled"], name="risk_limit_portfolio_enabled")]
        constraints = [
            models.CheckConstraint(
                condition=Q(limit_type__in=catalog.TYPE_CODES), name="risk_limit_type_known"
            ),
            models.CheckConstraint(condition=Q(scope__in=catalog.SCOPES), name="risk_limit_scope_known"),
            models.CheckConstraint(condition=Q(unit__in=catalog.UNITS), name="risk_limit_unit_known"),
            models.CheckConstraint(
                condition=Q(severity__in=catalog.SEVERITIES), name="risk_limit_severity_known"
            ),
            models.CheckConstraint(condition=Q(breach_threshold__gt=0), name="risk_limit_breach_positive"),
            models.CheckConstraint(
                condition=Q(warn_threshold__isnull=True)
                | (Q(warn_threshold__gte=0) & Q(warn_threshold__lte=F("breach_threshold"))),
                name="risk_limit_warn_within_breach",
            ),
            models.CheckConstraint(
                condition=(Q(scope="portfolio") & Q(scope_value=""))
                | (~Q(scope="portfolio") & ~Q(scope_value="")),
                name="risk_limit_scope_value_iff_scoped",
            ),
            models.CheckConstraint(
                condition=Q(confidence__gt=0) & Q(confidence__lt=1), name="risk_limit_confidence_open_unit"
            ),
            models.CheckConstraint(condition=Q(horizon_days__gt=0), name="risk_limit_horizon_positive"),
            models.CheckConstraint(condition=Q(window_days__gte=1), name="risk_limit_window_positive"),
        ]

    def __str__(self) -> str:
        where = f"{self.scope}:{self.scope_value}" if self.scope_value else self.scope
        return f"{self.limit_type} [{where}] ({self.portfolio_id or 'global'})"


class LimitChange(models.Model):
    """One row per create/update/delete of a limit: who, when, old → new (field values as JSON).
    Keeps the limit's id as a plain integer so the trail survives the limit's deletion."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"

    limit_id = models.BigIntegerField(db_index=True)
    portfolio_code = models.CharField(max_length=64, blank=True, help_text="Empty: a global default.")
    action = models.CharField(max_length=8, choices=Action.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["create", "update", "delete"]), name="risk_limitchange_action_known"
            ),
        ]

    def __str__(self) -> str:
        return f"limit {self.limit_id} {self.action} at {self.changed_at:%Y-%m-%d %H:%M:%S}"
