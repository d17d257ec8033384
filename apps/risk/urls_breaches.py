"""Breaches and escalation policies (see api_breaches.py)."""

from django.urls import path

from .api_breaches import (
    BreachAcknowledge,
    BreachDetail,
    BreachEscalate,
    BreachList,
    BreachNote,
    BreachResolve,
    PolicyDetail,
    PolicyListCreate,
    PortfolioBreachList,
)

urlpatterns: list = [
    path("breaches", BreachList.as_view(), name="breach-list-all"),
    path("breaches/<str:portfolio>", PortfolioBreachList.as_view(), name="breach-list"),
    path("breach/<int:breach_id>", BreachDetail.as_view(), name="breach-detail"),
    path("breach/<int:breach_id>/acknowledge", BreachAcknowledge.as_view(), name="breach-acknowledge"),
    path("breach/<int:breach_id>/escalate", BreachEscalate.as_view(), name="breach-escalate"),
    path("breach/<int:breach_id>/resolve", BreachResolve.as_view(), name="breach-resolve"),
    path("breach/<int:breach_id>/note", BreachNote.as_view(), name="breach-note"),
    path("escalation-policies", PolicyListCreate.as_view(), name="escalation-policy-list"),
    path("escalation-policies/<int:pk>", PolicyDetail.as_view(), name="escalation-policy-detail"),
]
