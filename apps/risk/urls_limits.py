from django.urls import path

from .api_limits import LimitTypeList, RiskLimitDetail, RiskLimitHistory, RiskLimitListCreate

urlpatterns: list = [
    path("limits", RiskLimitListCreate.as_view(), name="limit-list"),
    path("limits/<int:limit_id>", RiskLimitDetail.as_view(), name="limit-detail"),
    path("limits/<int:limit_id>/history", RiskLimitHistory.as_view(), name="limit-history"),
    path("limit-types", LimitTypeList.as_view(), name="limit-types"),
]
