"""GET/POST /api/risk/limits, GET/PATCH/DELETE /api/risk/limits/{id}, GET /api/risk/limits/{id}/history,
GET /api/risk/limit-types.

Who may do what: reading a limit needs view access to its portfolio (global defaults: any signed-in
user); staff and holders of a risk-limit model permission read them all. Writing needs staff or
the Django permission risk.add_/change_/delete_risklimit. Unknown ids answer 404, no permission 403,
bad input 400 keyed by field (the services' ValidationError, via the platform exception handler).
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.portfolio import facade as portfolio_facade

from ..kernels import catalog
from ..models import RiskLimit
from ..models.limits import SCOPE_CHOICES, SEVERITY_CHOICES, TYPE_CHOICES
from ..selectors import limits as limit_reads
from ..services import limits as services
from .serializers.limits import (
    LimitChangeSerializer,
    LimitTypeSerializer,
    RiskLimitSerializer,
    RiskLimitWriteSerializer,
)

READ_ALL_PERMS = ("risk.view_risklimit", "risk.change_risklimit")
# Which optional parameters a type reads (the others are stored but unused by it).
TYPE_PARAMETERS = {
    "var_limit": ("confidence", "horizon_days"),
    "expected_shortfall_limit": ("confidence", "horizon_days"),
    "fx_risk": ("confidence", "horizon_days"),
    "turnover_limit": ("window_days",),
    "drawdown": ("window_days",),
}

LIMITS_DOC = """
Risk limits: per portfolio, or global defaults (`portfolio` null) that apply to every portfolio without
a limit of its own of the same (type, scope, scope_value). Each has a warn and a breach threshold in the
type's unit (absolute base currency or pct_nav for amounts — pct_nav is a fraction, 0.05 = 5 % of NAV,
at most 10; ratio for ratio types), a scope and a severity. GET /api/risk/limit-types documents every
type. Every create/update/delete is audited (GET .../history) and published on
`risk.limits.{portfolio}` (`risk.limits.global` for global defaults).
"""


def _reads_all(user) -> bool:
    return user.is_staff or any(user.has_perm(p) for p in READ_ALL_PERMS)


def _require(user, action: str) -> None:
    if not (user.is_staff or user.has_perm(f"risk.{action}_risklimit")):
        raise PermissionDenied(f"Changing risk limits needs staff or the risk.{action}_risklimit permission.")


def _check_read(user, portfolio_code: str | None) -> None:
    if portfolio_code is None or _reads_all(user):
        return
    if not portfolio_facade.portfolio_can_view(user, portfolio_code):
        raise PermissionDenied("You do not have access to this portfolio.")


def limits_visible_to(user):
    """Global defaults plus the limits of the portfolios `user` may view (one query)."""
    return limit_reads.limits_visible(
        None if _reads_all(user) else portfolio_facade.portfolio_ids_visible(user)
    )


def _limit_or_404(limit_id: int) -> RiskLimit:
    limit = limit_reads.limit_get(limit_id)
    if limit is None:
        raise NotFound(f"No risk limit {limit_id}.")
    return limit


class RiskLimitFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(
        method="filter_portfolio", help_text='Portfolio code, or "global" for the global defaults.'
    )
    type = django_filters.ChoiceFilter(field_name="limit_type", choices=TYPE_CHOICES)
    scope = django_filters.ChoiceFilter(choices=SCOPE_CHOICES)
    severity = django_filters.ChoiceFilter(choices=SEVERITY_CHOICES)
    enabled = django_filters.BooleanFilter()

    class Meta:
        model = RiskLimit
        fields = ["portfolio", "type", "scope", "severity", "enabled"]

    def filter_portfolio(self, queryset, name, value):
        if value == services.GLOBAL_TOPIC:
            return queryset.filter(portfolio__isnull=True)
        return queryset.filter(portfolio__code=value)


class RiskLimitListCreate(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = RiskLimitSerializer
    filterset_class = RiskLimitFilter
    ordering_fields = ["id", "limit_type", "severity", "breach_threshold", "updated_at"]
    ordering = ["id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return limit_reads.limits_none()
        return limits_visible_to(self.request.user)

    @extend_schema(summary="Risk limits you may view", description=LIMITS_DOC, tags=["risk"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a risk limit",
        description=LIMITS_DOC,
        tags=["risk"],
        request=RiskLimitWriteSerializer,
        responses={201: RiskLimitSerializer},
    )
    def post(self, request, *args, **kwargs):
        _require(request.user, "add")
        body = RiskLimitWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        limit = services.limit_create(data=dict(body.validated_data), user=request.user)
        limit = _limit_or_404(limit.pk)
        return Response(RiskLimitSerializer(limit).data, status=status.HTTP_201_CREATED)


class RiskLimitDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="A risk limit", tags=["risk"], responses=RiskLimitSerializer)
    def get(self, request, limit_id: int):
        limit = _limit_or_404(limit_id)
        _check_read(request.user, services.limit_portfolio_code(limit))
        return Response(RiskLimitSerializer(limit).data)

    @extend_schema(
        summary="Change a risk limit (any subset of its fields; the portfolio stays)",
        tags=["risk"],
        request=RiskLimitWriteSerializer,
        responses=RiskLimitSerializer,
    )
    def patch(self, request, limit_id: int):
        _limit_or_404(limit_id)
        _require(request.user, "change")
        body = RiskLimitWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        try:
            services.limit_update(limit_id=limit_id, data=dict(body.validated_data), user=request.user)
        except RiskLimit.DoesNotExist as exc:  # deleted since the lookup above
            raise NotFound(f"No risk limit {limit_id}.") from exc
        return Response(RiskLimitSerializer(_limit_or_404(limit_id)).data)

    @extend_schema(summary="Delete a risk limit (its history stays)", tags=["risk"], responses={204: None})
    def delete(self, request, limit_id: int):
        _limit_or_404(limit_id)
        _require(request.user, "delete")
        try:
            services.limit_delete(limit_id=limit_id, user=request.user)
        except RiskLimit.DoesNotExist as exc:
            raise NotFound(f"No risk limit {limit_id}.") from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class RiskLimitHistory(generics.ListAPIView):
    """The audit rows of one limit, newest first — also once the limit is deleted."""

    permission_classes = [IsAuthenticated]
    serializer_class = LimitChangeSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return limit_reads.limit_changes_none()
        return limit_reads.limit_changes(self.kwargs["limit_id"])

    @extend_schema(summary="Audit trail of a risk limit (who, when, old → new)", tags=["risk"])
    def get(self, request, limit_id: int, *args, **kwargs):
        known, code = limit_reads.limit_owner(limit_id)
        if not known:
            raise NotFound(f"No risk limit {limit_id}.")
        _check_read(request.user, code)
        return super().get(request, *args, **kwargs)


class LimitTypeList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The limit types: what each measures, its scopes and units",
        tags=["risk"],
        responses={200: OpenApiResponse(response=LimitTypeSerializer(many=True))},
    )
    def get(self, request):
        rows = [
            {
                "code": t.code,
                "label": t.label,
                "measure": t.measure,
                "scopes": list(t.scopes),
                "units": list(t.units),
                "parameters": list(TYPE_PARAMETERS.get(t.code, ())),
                "description": t.description,
            }
            for t in catalog.LIMIT_TYPES
        ]
        return Response(LimitTypeSerializer(rows, many=True).data)
