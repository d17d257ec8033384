"""Bus subscriptions of the portfolio engine (registered from PortfolioConfig.ready()): none yet.
The book publishes (`trading.executions.<code>`, `trading.positions.<code>`, see
services/events.py) and listens to nothing; the rebalancer will subscribe here."""


def register() -> None:
    """Nothing to register."""
