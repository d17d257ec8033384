"""Shapes of the limit API. The write serializer only types the input; the rules (which scopes and
units a type accepts, warn ≤ breach, known symbols...) live in services.limits.limit_validate, the one
place the API and the admin share."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import BoundedFloatField, BoundedIntegerField, printable_validator

from ...kernels import catalog
from ...models import LimitChange, RiskLimit
from ...models.limits import DEFINITION_FIELDS, SCOPE_CHOICES, SEVERITY_CHOICES, TYPE_CHOICES, UNIT_CHOICES
from ...services.limits import FIELDS

# A turnover/drawdown window longer than a century is a typo; it must also stay a pandas Timedelta.
WINDOW_DAYS_MAX = 36_500


def _column(name: str):
    return RiskLimit._meta.get_field(name)


def _choice(choices, what: str, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices,
        error_messages={"invalid_choice": f'Unknown {what} "{{input}}"; see GET /api/risk/limit-types.'},
        **kwargs,
    )


class RiskLimitWriteSerializer(serializers.Serializer):
    """POST takes the whole limit (limit_type and breach_threshold required); PATCH any subset."""

    portfolio = serializers.CharField(
        required=False, allow_null=True, help_text="Portfolio code; null or absent: a global default."
    )
    name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    limit_type = _choice(TYPE_CHOICES, "limit type")
    scope = _choice(SCOPE_CHOICES, "scope", required=False, help_text="Default: portfolio.")
    scope_value = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=_column("scope_value").max_length,
        validators=[printable_validator],
        help_text="The bucket of a scoped limit: a symbol (instrument), a sector, an industry or an ISO "
        "currency. Empty for scope=portfolio.",
    )
    unit = _choice(
        UNIT_CHOICES,
        "unit",
        required=False,
        help_text="absolute (base currency) or pct_nav (a fraction: 0.05 = 5 % of NAV) for amounts; ratio "
        "for ratio types. Default: the type's first unit.",
    )
    warn_threshold = BoundedFloatField(required=False, allow_null=True)
    breach_threshold = BoundedFloatField()
    severity = _choice(SEVERITY_CHOICES, "severity", required=False, help_text="Default: high.")
    enabled = serializers.BooleanField(required=False)
    confidence = BoundedFloatField(required=False, help_text="VaR/ES/FX risk; in (0, 1). Default 0.99.")
    horizon_days = BoundedFloatField(required=False, help_text="VaR/ES/FX risk; > 0. Default 1.")
    window_days = BoundedIntegerField(
        model_field=_column("window_days"),
        min_value=1,
        max_value=WINDOW_DAYS_MAX,
        required=False,
        help_text=f"Turnover/drawdown; 1 to {WINDOW_DAYS_MAX}. Default 1.",
    )
    resolve_after_seconds = BoundedIntegerField(
        model_field=_column("resolve_after_seconds"),
        required=False,
        allow_null=True,
        help_text="Hysteresis before a breach auto-resolves; null: RISK_BREACH_RESOLVE_AFTER_SECONDS.",
    )
    escalation_policy = BoundedIntegerField(
        required=False, allow_null=True, help_text="Escalation policy id; null: the default policy."
    )


class RiskLimitSerializer(serializers.ModelSerializer):
    portfolio = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    limit_type = serializers.ChoiceField(choices=TYPE_CHOICES, read_only=True)
    scope = serializers.ChoiceField(choices=SCOPE_CHOICES, read_only=True)
    unit = serializers.ChoiceField(choices=UNIT_CHOICES, read_only=True)
    severity = serializers.ChoiceField(choices=SEVERITY_CHOICES, read_only=True)
    measure = serializers.SerializerMethodField(help_text="money or ratio (from the catalog).")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = RiskLimit
        fields = [
            "id",
            "portfolio",
            "measure",
            *DEFINITION_FIELDS,
            "escalation_policy",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_measure(self, obj: RiskLimit) -> str | None:
        ltype = catalog.BY_CODE.get(obj.limit_type)
        return ltype.measure if ltype else None


class LimitChangeSerializer(serializers.ModelSerializer):
    portfolio = serializers.SerializerMethodField(help_text="Portfolio code at the time; null: global.")
    # Plain text rather than an enum: the schema already has other `action` choice sets.
    action = serializers.CharField(read_only=True, help_text="create, update or delete.")
    changed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    changed = serializers.SerializerMethodField(help_text="For an update: the fields whose value changed.")

    class Meta:
        model = LimitChange
        fields = [
            "id",
            "limit_id",
            "portfolio",
            "action",
            "changed_by",
            "changed_at",
            "changed",
            "old",
            "new",
        ]
        read_only_fields = fields

    def get_portfolio(self, obj: LimitChange) -> str | None:
        return obj.portfolio_code or None

    def get_changed(self, obj: LimitChange) -> list[str]:
        if not (obj.old and obj.new):
            return []
        return [k for k in FIELDS if obj.old.get(k) != obj.new.get(k)]  # in field order: JSONB sorts keys


class LimitTypeSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    measure = serializers.CharField(help_text="money: an amount in base currency; ratio: a fraction.")
    scopes = serializers.ListField(child=serializers.CharField())
    units = serializers.ListField(child=serializers.CharField())
    parameters = serializers.ListField(
        child=serializers.CharField(), help_text="Which of confidence/horizon_days/window_days it uses."
    )
    description = serializers.CharField()
