"""Admin for the book of record. Positions and cash are derived, so they are read-only here, and a
transaction added in the admin is booked through the service like any other."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from . import services
from .models import Optimization, Portfolio, Position, RebalanceProposal, Transaction


class PositionInline(admin.TabularInline):
    model = Position
    fields = ("instrument", "quantity", "average_cost", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "owner",
        "group",
        "base_currency",
        "cash",
        "long_only",
        "cost_method",
        "updated_at",
    )
    list_filter = ("long_only", "cost_method", "base_currency", "group")
    search_fields = ("code", "name", "owner__username")
    raw_id_fields = ("owner",)
    autocomplete_fields = ("benchmark",)
    readonly_fields = ("cash", "created_at", "updated_at")
    inlines = [PositionInline]
    actions = ["rebuild_positions"]

    @admin.action(description="Rebuild positions and cash from transactions")
    def rebuild_positions(self, request, queryset):
        for portfolio in queryset:
            services.positions_rebuild(portfolio=portfolio)
        self.message_user(request, f"Rebuilt {queryset.count()} portfolio(s).", messages.SUCCESS)


class TransactionAdminForm(forms.ModelForm):
    class Meta:
        model = Transaction
        fields = ("portfolio", "type", "instrument", "quantity", "price", "fees", "amount", "timestamp")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            services.transaction_check(
                portfolio=cleaned["portfolio"],
                type=cleaned["type"],
                instrument=cleaned.get("instrument"),
                quantity=cleaned.get("quantity"),
                price=cleaned.get("price"),
                fees=cleaned.get("fees"),
                amount=cleaned.get("amount"),
                timestamp=cleaned.get("timestamp"),
            )
        except ValidationError as exc:
            # Field-keyed messages land next to their fields on the form.
            self._update_errors(exc)
        return cleaned


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    form = TransactionAdminForm
    list_display = (
        "id",
        "timestamp",
        "portfolio",
        "type",
        "instrument",
        "quantity",
        "price",
        "fees",
        "amount",
    )
    list_filter = ("type", "portfolio")
    search_fields = ("portfolio__code", "instrument__symbol")
    date_hierarchy = "timestamp"
    autocomplete_fields = ("instrument",)
    list_select_related = ("portfolio", "instrument")

    def has_change_permission(self, request, obj=None) -> bool:
        # Booked transactions are immutable; corrections are new, opposite bookings.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        recorded = services.transaction_record(
            portfolio=data["portfolio"],
            type=data["type"],
            instrument=data.get("instrument"),
            quantity=data.get("quantity"),
            price=data.get("price"),
            fees=data.get("fees"),
            amount=data.get("amount"),
            timestamp=data.get("timestamp"),
            created_by=request.user,
        )
        # The admin logs and redirects to `obj`; point it at the row the service booked.
        obj.pk = recorded.pk
        obj.created_at = recorded.created_at
        obj.created_by = recorded.created_by
        obj._state.adding = False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records viewed here, never added or edited: positions follow from transactions, and a stored
    run goes through the API, which stores its inputs and answer together."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = ("portfolio", "instrument", "quantity", "average_cost", "updated_at")
    list_filter = ("portfolio",)
    search_fields = ("portfolio__code", "instrument__symbol")
    list_select_related = ("portfolio", "instrument")


@admin.register(Optimization)
class OptimizationAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "portfolio",
        "method",
        "status",
        "solver",
        "expected_return",
        "volatility",
    )
    list_filter = ("method", "status", "solver", "portfolio")
    search_fields = ("portfolio__code", "method", "inputs_fingerprint")
    date_hierarchy = "created_at"
    list_select_related = ("portfolio",)
    raw_id_fields = ("portfolio", "rerun_of", "created_by")


@admin.register(RebalanceProposal)
class RebalanceProposalAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "portfolio", "optimization", "status", "risk_verdict", "risk_breach")
    list_filter = ("status", "risk_verdict", "risk_breach", "portfolio")
    search_fields = ("portfolio__code", "override_reason")
    date_hierarchy = "created_at"
    list_select_related = ("portfolio",)
    raw_id_fields = ("portfolio", "optimization", "decided_by", "created_by")
