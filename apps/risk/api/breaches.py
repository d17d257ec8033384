"""Breaches and escalation policies over HTTP.

GET  /api/risk/breaches/{portfolio}      a portfolio's breaches, filtered, paginated
GET  /api/risk/breaches                  every breach the caller may view
GET  /api/risk/breach/{id}               one breach with its timeline and alert deliveries
POST /api/risk/breach/{id}/acknowledge | /escalate | /resolve   {"note": "..."} optional
POST /api/risk/breach/{id}/note          {"note": "..."} required
GET/POST /api/risk/escalation-policies, GET/PATCH/DELETE /api/risk/escalation-policies/{id}

Viewing a breach needs view access to its portfolio; acting on one needs that plus staff or the
risk.change_breach permission; writing policies needs staff or risk.change_escalationpolicy.
An action the breach's status does not allow answers 409 with the reason and the current status.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.portfolio import facade as portfolio_facade

from ..models import Breach, EscalationPolicy
from ..selectors import breaches as breach_reads
from ..services import breaches as breach_services
from ..services import policies
from .serializers.breaches import (
    BreachActionSerializer,
    BreachDetailSerializer,
    BreachNoteSerializer,
    BreachQuerySerializer,
    BreachSerializer,
    EscalationPolicySerializer,
)

FILTERS_DOC = """
Filters: `status` (one or several: repeated or comma-separated; open, acknowledged, escalated,
resolved), `level` (warn, breach), `type` (limit type), `severity`, `active` (true: not resolved;
false: resolved), `since` / `until` (opened_at in [since, until), ISO 8601). Newest first, paginated
with `limit` / `offset`. 400 names the bad parameter.
"""


def _visible(user):
    """The caller's breaches: those of the portfolios the portfolio engine lets them view (one query)."""
    return breach_reads.breaches_visible(portfolio_facade.portfolio_ids_visible(user))


def _filtered(qs, request):
    query = BreachQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return breach_reads.breaches_filtered(qs, query.validated_data)


class _BreachList(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = BreachSerializer
    filter_backends: list = []  # filtering is the query serializer's job (400 by parameter)


class PortfolioBreachList(_BreachList):
    @extend_schema(
        summary="A portfolio's breaches",
        operation_id="risk_breaches_portfolio_list",
        description=FILTERS_DOC + "404: unknown portfolio; 403: not yours to view.",
        tags=["risk"],
        parameters=[BreachQuerySerializer],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return breach_reads.breaches_none()
        info = portfolio_facade.portfolio_viewable(self.request.user, self.kwargs["portfolio"])
        return _filtered(breach_reads.breaches_of_portfolio(info.id), self.request)


class BreachList(_BreachList):
    @extend_schema(
        summary="Every breach you may view",
        operation_id="risk_breaches_list",
        description=FILTERS_DOC,
        tags=["risk"],
        parameters=[BreachQuerySerializer],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return breach_reads.breaches_none()
        return _filtered(_visible(self.request.user), self.request)


def _breach_for(request, breach_id: int, *, act: bool = False) -> Breach:
    breach = breach_reads.breach_get(breach_id)
    if breach is None:
        raise NotFound(f"No breach {breach_id}.")
    if not portfolio_facade.portfolio_can_view(request.user, breach.portfolio.code):
        raise PermissionDenied("You do not have access to this breach's portfolio.")
    if act and not (request.user.is_staff or request.user.has_perm("risk.change_breach")):
        raise PermissionDenied("Acting on breaches needs staff or the risk.change_breach permission.")
    return breach


def _detail(breach_id: int) -> dict:
    breach = breach_reads.breach_detail_get(breach_id)
    return BreachDetailSerializer(breach).data


class BreachDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A breach with its timeline and alert deliveries",
        tags=["risk"],
        responses={200: BreachDetailSerializer},
    )
    def get(self, request, breach_id: int):
        _breach_for(request, breach_id)
        return Response(_detail(breach_id))


class _BreachAction(APIView):
    permission_classes = [IsAuthenticated]
    body = BreachActionSerializer
    action_name = ""

    def act(self, *, breach_id: int, user, note: str) -> Breach:
        raise NotImplementedError

    def post(self, request, breach_id: int):
        _breach_for(request, breach_id, act=True)
        body = self.body(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            self.act(breach_id=breach_id, user=request.user, note=body.validated_data.get("note", ""))
        except breach_services.BreachStateError as exc:
            return Response({"detail": exc.reason, "status": exc.status}, status=status.HTTP_409_CONFLICT)
        except Breach.DoesNotExist as exc:
            raise NotFound(f"No breach {breach_id}.") from exc
        return Response(_detail(breach_id))


def _action_schema(summary: str, request):
    return extend_schema(
        summary=summary,
        tags=["risk"],
        request=request,
        responses={
            200: BreachDetailSerializer,
            409: OpenApiResponse(description="Not allowed in the breach's status (reason, status)."),
        },
    )


class BreachAcknowledge(_BreachAction):
    def act(self, **kw):
        return breach_services.breach_acknowledge(**kw)

    @_action_schema("Acknowledge a breach (stops its escalation)", BreachActionSerializer)
    def post(self, request, breach_id: int):
        return super().post(request, breach_id)


class BreachEscalate(_BreachAction):
    def act(self, **kw):
        return breach_services.breach_escalate(**kw)

    @_action_schema("Escalate a breach to its policy's next level now", BreachActionSerializer)
    def post(self, request, breach_id: int):
        return super().post(request, breach_id)


class BreachResolve(_BreachAction):
    def act(self, **kw):
        return breach_services.breach_resolve(**kw)

    @_action_schema("Resolve a breach by hand", BreachActionSerializer)
    def post(self, request, breach_id: int):
        return super().post(request, breach_id)


class BreachNote(_BreachAction):
    body = BreachNoteSerializer

    def act(self, **kw):
        return breach_services.breach_note(**kw)

    @_action_schema("Add a note to a breach's timeline", BreachNoteSerializer)
    def post(self, request, breach_id: int):
        return super().post(request, breach_id)


# --- escalation policies ----------------------------------------------------------------------------


class CanWritePolicies(BasePermission):
    message = "Changing escalation policies needs staff or the risk.change_escalationpolicy permission."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user.is_staff or request.user.has_perm("risk.change_escalationpolicy"))


class PolicyListCreate(generics.ListAPIView):
    permission_classes = [IsAuthenticated, CanWritePolicies]
    serializer_class = EscalationPolicySerializer
    filter_backends: list = []

    def get_queryset(self):
        return breach_reads.policies_by_name()

    @extend_schema(summary="Escalation policies", tags=["risk"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create an escalation policy",
        description="Levels numbered 1..n, delays (seconds after the breach opened) non-decreasing; "
        "channels any of bus, email (needs `emails`), webhook (needs `webhook_url`). "
        "`is_default: true` makes it the policy of limits that name none (the previous default is demoted).",
        tags=["risk"],
        request=EscalationPolicySerializer,
        responses={201: EscalationPolicySerializer},
    )
    def post(self, request):
        body = EscalationPolicySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        policy = policies.policy_create(data=body.validated_data, user=request.user)
        return Response(EscalationPolicySerializer(breach_reads.policy_get(policy.pk)).data, status=201)


class PolicyDetail(APIView):
    permission_classes = [IsAuthenticated, CanWritePolicies]

    def _get(self, pk: int) -> EscalationPolicy:
        policy = breach_reads.policy_get(pk)
        if policy is None:
            raise NotFound(f"No escalation policy {pk}.")
        return policy

    @extend_schema(summary="An escalation policy", tags=["risk"], responses={200: EscalationPolicySerializer})
    def get(self, request, pk: int):
        return Response(EscalationPolicySerializer(self._get(pk)).data)

    @extend_schema(
        summary="Change an escalation policy (`levels`, when given, replaces them all)",
        tags=["risk"],
        request=EscalationPolicySerializer,
        responses={200: EscalationPolicySerializer},
    )
    def patch(self, request, pk: int):
        policy = self._get(pk)
        body = EscalationPolicySerializer(policy, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        policies.policy_update(policy_id=pk, data=body.validated_data, user=request.user)
        return Response(EscalationPolicySerializer(self._get(pk)).data)

    @extend_schema(
        summary="Delete an escalation policy (its limits fall back to the default)",
        tags=["risk"],
        responses={204: None},
    )
    def delete(self, request, pk: int):
        self._get(pk)
        policies.policy_delete(policy_id=pk, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
