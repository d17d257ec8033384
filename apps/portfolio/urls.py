from django.urls import path

from .api import portfolios, positions, transactions

app_name = "portfolio"

urlpatterns = [
    path("portfolios/", portfolios.PortfolioListCreate.as_view(), name="portfolio-list"),
    path("portfolios/<slug:code>/", portfolios.PortfolioDetail.as_view(), name="portfolio-detail"),
    path(
        "portfolios/<slug:code>/positions/",
        positions.PortfolioPositions.as_view(),
        name="portfolio-positions",
    ),
    path("transactions/", transactions.TransactionListCreate.as_view(), name="transaction-list"),
]
