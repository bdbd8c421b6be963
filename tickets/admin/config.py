"""The desk's configuration in the admin: routing rules, SLA policies, webhook deliveries."""

from django.contrib import admin

from tickets.models import RoutingRule, SLAPolicy, WebhookAttempt, WebhookDelivery


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("order", "name", "problem_type", "team", "priority", "is_active")
    list_display_links = ("name",)
    list_editable = ("order", "is_active")
    list_filter = ("problem_type", "team", "is_active")
    search_fields = ("name", "keywords")


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ("problem_type", "priority", "first_response_minutes", "resolution_minutes")
    list_editable = ("first_response_minutes", "resolution_minutes")
    list_filter = ("problem_type", "priority")


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("attempted_at", "status_code", "error", "duration_ms")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "ticket", "event", "state", "delivered_at")
    list_filter = ("state", "event")
    readonly_fields = ("ticket", "event", "payload", "state", "created_at", "delivered_at")
    inlines = (WebhookAttemptInline,)

    # Customer addresses and evidence of every team: admins only.
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False
