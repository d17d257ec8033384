"""Query-string filters for the transaction list."""

from __future__ import annotations

import django_filters

from apps.platform.fields import instant_validator, printable_validator

from ..models import Transaction, TransactionType


class TransactionFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(field_name="portfolio__code", help_text="Portfolio code.")
    symbol = django_filters.CharFilter(
        field_name="instrument__symbol", lookup_expr="iexact", validators=[printable_validator]
    )
    type = django_filters.MultipleChoiceFilter(choices=TransactionType.choices)
    start = django_filters.IsoDateTimeFilter(
        field_name="timestamp",
        lookup_expr="gte",
        help_text="Booked at or after (ISO 8601).",
        validators=[instant_validator],
    )
    end = django_filters.IsoDateTimeFilter(
        field_name="timestamp",
        lookup_expr="lt",
        help_text="Booked before (ISO 8601).",
        validators=[instant_validator],
    )

    class Meta:
        model = Transaction
        fields = ["portfolio", "symbol", "type", "start", "end"]
