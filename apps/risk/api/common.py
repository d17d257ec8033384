"""What the VaR, stress, scenario and report views share: the request body, the viewer's
portfolio, and a market-data read failure answered as a 400 on `portfolio` (a Django
ValidationError from a selector or service needs nothing here: the DRF exception handler in
apps/platform/exceptions.py answers it as a 400 by field)."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError

from apps.marketdata.facade import MarketDataReadError
from apps.portfolio import facade as portfolio_facade


def call(fn, **kwargs):
    """A selector or service call whose market-data read failure answers 400 on `portfolio`."""
    try:
        return fn(**kwargs)
    except MarketDataReadError as exc:
        raise ValidationError({"portfolio": str(exc)}) from exc


def viewable_code(user, key: str) -> str:
    """The portfolio's code if `user` may view it: 404 unknown, 403 someone else's."""
    return portfolio_facade.portfolio_viewable(user, key).code


def body(serializer_class, request):
    data = serializer_class(data=request.data if request.data is not None else {})
    data.is_valid(raise_exception=True)
    return data.validated_data
