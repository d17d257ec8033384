"""Query-string filters for the instrument list."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from apps.platform.fields import printable_validator

from ..models import AssetClass, Instrument


class InstrumentFilter(django_filters.FilterSet):
    symbol = django_filters.CharFilter(
        field_name="symbol", lookup_expr="iexact", validators=[printable_validator]
    )
    asset_class = django_filters.ChoiceFilter(choices=AssetClass.choices)
    sector = django_filters.CharFilter(lookup_expr="iexact")
    industry = django_filters.CharFilter(lookup_expr="iexact")
    currency = django_filters.CharFilter(lookup_expr="iexact")
    exchange = django_filters.CharFilter(lookup_expr="iexact")
    country = django_filters.CharFilter(lookup_expr="iexact")
    is_active = django_filters.BooleanFilter()
    search = django_filters.CharFilter(method="filter_search", label="Symbol or name contains")

    class Meta:
        model = Instrument
        fields = [
            "symbol",
            "asset_class",
            "sector",
            "industry",
            "currency",
            "exchange",
            "country",
            "is_active",
        ]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(symbol__icontains=value) | Q(name__icontains=value))
