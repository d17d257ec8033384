"""The risk admin. Limits are edited here as in the API: the form runs limit_validate, and every save
— the change form, list editing on the changelist, a delete, a bulk delete — goes through
limit_create/limit_update/limit_delete, so it is audited and published like any other change.
Breaches change only through the life-cycle actions (the breach services); the audit trail, alert
deliveries and the breach timeline are read-only records."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from .models import (
    AlertChannel,
    AlertDelivery,
    Breach,
    BreachEvent,
    EscalationLevel,
    EscalationPolicy,
    LimitChange,
    MonitorState,
    RiskLimit,
    StressScenario,
)
from .services import limits as limit_services


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the engine: viewable, never edited or deleted by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- limits --------------------------------------------------------------------------------------


class RiskLimitAdminForm(forms.ModelForm):
    """Validated by the service on the fields the form has (all of them when adding, the editable
    columns on the changelist), overlaid on the limit being changed."""

    class Meta:
        model = RiskLimit
        fields = limit_services.FIELDS

    def service_data(self, fields=None) -> dict:
        names = [
            f for f in (fields if fields is not None else self.cleaned_data) if f in limit_services.FIELDS
        ]
        data = {name: self.cleaned_data.get(name) for name in names}
        if "portfolio" in data:
            data["portfolio"] = data["portfolio"].code if data["portfolio"] is not None else None
        if "escalation_policy" in data:
            data["escalation_policy"] = data["escalation_policy"].pk if data["escalation_policy"] else None
        for name in ("name", "scope_value"):
            if name in data and data[name] is None:
                data[name] = ""
        return data

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        instance = self.instance if self.instance.pk else None
        try:
            self.validated = limit_services.limit_validate(self.service_data(), instance)
        except ValidationError as exc:
            # Messages land next to their fields; those about fields this form lacks (a list-edited
            # row whose other columns now clash) go on top with the field named.
            for field, msgs in exc.message_dict.items():
                target = field if field in self.fields else NON_FIELD_ERRORS
                prefix = "" if target == field else f"{field}: "
                self.add_error(None if target == NON_FIELD_ERRORS else target, [prefix + m for m in msgs])
            return cleaned
        # Write back what the service normalized (upper-cased symbol, defaulted unit).
        for field in ("scope_value", "unit"):
            if field in cleaned:
                cleaned[field] = self.validated[field]
        return cleaned


def _mirror(obj: RiskLimit, saved: RiskLimit) -> None:
    """Point the admin's object at the row the service wrote (the admin logs and redirects to it)."""
    for field in RiskLimit._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False


@admin.register(RiskLimit)
class RiskLimitAdmin(admin.ModelAdmin):
    form = RiskLimitAdminForm
    list_display = (
        "id",
        "portfolio",
        "limit_type",
        "scope",
        "scope_value",
        "unit",
        "warn_threshold",
        "breach_threshold",
        "severity",
        "enabled",
        "updated_at",
    )
    list_display_links = ("id",)
    list_editable = ("warn_threshold", "breach_threshold", "severity", "enabled")
    # Only the portfolios that have limits (a desk may hold thousands of portfolios).
    list_filter = (
        "limit_type",
        "scope",
        "severity",
        "enabled",
        ("portfolio", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("name", "limit_type", "scope_value", "portfolio__code")
    list_select_related = ("portfolio",)
    raw_id_fields = ("created_by",)
    readonly_fields = ("created_by", "created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        # A limit stays with its portfolio (its breaches refer to it).
        return (*self.readonly_fields, "portfolio") if obj is not None else self.readonly_fields

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=RiskLimitAdminForm, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            data = form.service_data(form.changed_data)
            saved = limit_services.limit_update(limit_id=obj.pk, data=data, user=request.user)
        else:
            saved = limit_services.limit_create(data=form.service_data(), user=request.user)
        _mirror(obj, saved)

    def delete_model(self, request, obj):
        limit_services.limit_delete(limit_id=obj.pk, user=request.user)

    def delete_queryset(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            limit_services.limit_delete(limit_id=pk, user=request.user)


@admin.register(LimitChange)
class LimitChangeAdmin(_ReadOnlyAdmin):
    list_display = ("changed_at", "limit_id", "portfolio_code", "action", "changed_by", "changed_fields")
    list_filter = ("action",)
    search_fields = ("=limit_id", "portfolio_code", "changed_by__username")
    date_hierarchy = "changed_at"
    list_select_related = ("changed_by",)

    @admin.display(description="changed")
    def changed_fields(self, obj: LimitChange) -> str:
        old, new = obj.old, obj.new
        if not (old and new):
            return ""
        keys = [k for k in limit_services.FIELDS if old.get(k) != new.get(k)]
        return ", ".join(f"{k}: {old.get(k)!r} → {new.get(k)!r}" for k in keys)


# --- breaches ------------------------------------------------------------------------------------


class BreachEventInline(admin.TabularInline):
    model = BreachEvent
    fields = ("at", "action", "by", "detail")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _breach_action(verb: str, service_name: str, description: str):
    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        # Imported here: the breach services belong to the breach life cycle, loaded on use.
        from .services import breaches

        service = getattr(breaches, service_name)
        done, refused = 0, []
        for breach_id in queryset.values_list("pk", flat=True):
            try:
                service(breach_id=breach_id, user=request.user, note="")
            except Breach.DoesNotExist:
                refused.append(f"#{breach_id}: gone")
            except breaches.BreachStateError as exc:  # a refused transition: say so, go on with the rest
                refused.append(f"#{breach_id}: {exc.reason}")
            except ValidationError as exc:
                refused.append(f"#{breach_id}: {'; '.join(exc.messages)}")
            else:
                done += 1
        if done:
            modeladmin.message_user(request, f"{verb.capitalize()}d {done} breach(es).", messages.SUCCESS)
        if refused:
            modeladmin.message_user(request, f"Not {verb}d: " + "; ".join(refused), messages.WARNING)

    action.__name__ = verb
    return action


@admin.register(Breach)
class BreachAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "portfolio",
        "limit_type",
        "scope_value",
        "severity",
        "level",
        "status",
        "peak_utilization",
        "last_value",
        "breach_threshold",
        "escalation_level",
        "opened_at",
        "acknowledged_by",
        "resolved_at",
    )
    list_filter = (
        "status",
        "level",
        "limit_type",
        "severity",
        ("portfolio", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("=id", "portfolio__code", "limit_type", "scope_value", "bucket")
    date_hierarchy = "opened_at"
    list_select_related = ("portfolio", "acknowledged_by")
    inlines = [BreachEventInline]
    actions = [
        _breach_action("acknowledge", "breach_acknowledge", "Acknowledge the selected breaches"),
        _breach_action("escalate", "breach_escalate", "Escalate the selected breaches to the next level"),
        _breach_action("resolve", "breach_resolve", "Resolve the selected breaches"),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The life cycle moves only through the actions, each stamped with who and when.
        return [f.name for f in Breach._meta.concrete_fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- escalation ----------------------------------------------------------------------------------


class EscalationLevelForm(forms.ModelForm):
    webhook_url = forms.URLField(required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = EscalationLevel
        fields = ("level", "delay_seconds", "channels", "emails", "webhook_url")

    def clean(self):
        cleaned = super().clean()
        channels = cleaned.get("channels")
        if channels is None:
            return cleaned
        known = set(AlertChannel.values)
        if not isinstance(channels, list) or not channels or not set(channels) <= known:
            self.add_error("channels", f"A non-empty list of {', '.join(sorted(known))}.")
            return cleaned
        if "email" in channels and not (cleaned.get("emails") or "").strip():
            self.add_error("emails", "The email channel needs at least one address.")
        if "webhook" in channels and not cleaned.get("webhook_url"):
            self.add_error("webhook_url", "The webhook channel needs a URL.")
        return cleaned


class EscalationLevelInline(admin.TabularInline):
    model = EscalationLevel
    form = EscalationLevelForm
    extra = 0


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "is_default", "level_count", "created_at")
    list_filter = ("is_default",)
    search_fields = ("name",)
    inlines = [EscalationLevelInline]

    @admin.display(description="levels")
    def level_count(self, obj: EscalationPolicy) -> int:
        return obj.levels.count()

    def save_model(self, request, obj, form, change):
        if obj.is_default:  # one default at a time: naming a new one demotes the old
            EscalationPolicy.objects.filter(is_default=True).exclude(pk=obj.pk).update(is_default=False)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        from .services.escalation import schedules_clear

        schedules_clear()  # breaches climbing this policy recompute their next level


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(_ReadOnlyAdmin):
    list_display = (
        "id",
        "breach",
        "level",
        "channel",
        "target",
        "status",
        "attempts",
        "created_at",
        "sent_at",
    )
    list_filter = ("status", "channel")
    search_fields = ("=breach__id", "target")
    list_select_related = ("breach",)


# --- monitor and scenarios -----------------------------------------------------------------------


@admin.register(MonitorState)
class MonitorStateAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "enabled",
        "last_finished_at",
        "last_duration_ms",
        "last_portfolios",
        "last_limits",
        "runs_total",
    )
    readonly_fields = tuple(f.name for f in MonitorState._meta.concrete_fields if f.name not in ("enabled",))

    def has_add_permission(self, request) -> bool:
        return not MonitorState.objects.exists()  # one row (pk=1)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        if "enabled" in form.changed_data or not change:
            obj.changed_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(StressScenario)
class StressScenarioAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "window_start", "window_end", "created_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "description")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
