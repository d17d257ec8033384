from django.urls import path

from . import api

app_name = "portfolio"

urlpatterns = [
    path("portfolios/", api.PortfolioListCreate.as_view(), name="portfolio-list"),
    path("portfolios/<slug:code>/", api.PortfolioDetail.as_view(), name="portfolio-detail"),
    path("portfolios/<slug:code>/positions/", api.PortfolioPositions.as_view(), name="portfolio-positions"),
    path("transactions/", api.TransactionListCreate.as_view(), name="transaction-list"),
]
