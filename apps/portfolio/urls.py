from django.urls import path

from .api import optimizations, portfolios, positions, rebalancing, transactions

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
    path("optimize/<str:portfolio_id>", optimizations.OptimizeView.as_view(), name="optimize"),
    path(
        "optimizations/<int:optimization_id>",
        optimizations.OptimizationDetail.as_view(),
        name="optimization-detail",
    ),
    path(
        "optimizations/<int:optimization_id>/rerun",
        optimizations.OptimizationRerun.as_view(),
        name="optimization-rerun",
    ),
    path(
        "optimizations/<int:optimization_id>/frontier",
        optimizations.OptimizationFrontier.as_view(),
        name="optimization-frontier",
    ),
    path("rebalance/<str:portfolio_id>", rebalancing.RebalanceView.as_view(), name="rebalance"),
    path("proposals/<int:proposal_id>", rebalancing.ProposalDetail.as_view(), name="proposal-detail"),
    path("proposals/<int:proposal_id>/accept", rebalancing.ProposalAccept.as_view(), name="proposal-accept"),
    path("proposals/<int:proposal_id>/reject", rebalancing.ProposalReject.as_view(), name="proposal-reject"),
]
