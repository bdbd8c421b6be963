"""Subscriptions, their deliveries and attempts in the admin; the "Send test event" button."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from webhooks import selectors, services
from webhooks.forms import SubscriptionForm
from webhooks.models import Attempt, Delivery, Subscription

SEND_TEST_PERMISSION = "webhooks.send_test_event"


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("name", "url", "is_active", "include_text", "updated_at")
    list_filter = ("is_active", "include_text")
    search_fields = ("name", "url")
    readonly_fields = ("secret_hint", "created_at", "updated_at")
    change_form_template = "admin/webhooks/subscription/change_form.html"

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # The admin filters any local field from the address: ?secret__startswith=a would let
        # the changelist's row count spell out the secret one character at a time.
        if lookup.split("__")[0] == "secret":
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ("name", "url", "is_active")}),
            (_("Events"), {"fields": ("events", "include_text")}),
        ]
        # Even the secret's last characters only for those who may change it.
        if obj is None or self.has_change_permission(request, obj):
            signing = ("secret_hint", "new_secret") if obj is not None else ("new_secret",)
            fieldsets.append((_("Signature"), {"fields": signing}))
        return fieldsets

    @admin.display(description=_("signing secret"))
    def secret_hint(self, obj: Subscription) -> str:
        return obj.secret_hint

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        selectors.subscriptions_forget()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        selectors.subscriptions_forget()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        selectors.subscriptions_forget()

    def get_urls(self):
        return [
            path(
                "<int:object_id>/send-test/",
                self.admin_site.admin_view(self.send_test_view),
                name="webhooks_subscription_send_test",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["can_send_test"] = obj is not None and request.user.has_perm(SEND_TEST_PERMISSION)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def send_test_view(self, request: HttpRequest, object_id: int):
        """POST only (admin_view checks the CSRF token); needs the send-test permission."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(SEND_TEST_PERMISSION):
            raise PermissionDenied
        subscription = get_object_or_404(Subscription, pk=object_id)
        delivery = services.subscription_send_test(subscription=subscription)
        delivery.refresh_from_db()
        level = messages.SUCCESS if delivery.state == Delivery.State.DELIVERED else messages.INFO
        self.message_user(
            request,
            _("Test event queued; its delivery is %(state)s.")
            % {"state": delivery.get_state_display()},
            level,
        )
        return HttpResponseRedirect(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ("attempted_at", "status_code", "error", "duration_ms")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "event", "subscription", "state", "attempt_count", "delivered_at")
    list_filter = ("state", "event", "subscription")
    list_select_related = ("subscription",)
    search_fields = ("=event_id",)
    readonly_fields = (
        "subscription",
        "event",
        "event_id",
        "payload",
        "state",
        "created_at",
        "delivered_at",
    )
    exclude = ("claimed_until",)
    inlines = (AttemptInline,)

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(attempt_total=Count("attempts"))

    @admin.display(description=_("attempts"), ordering="attempt_total")
    def attempt_count(self, obj: Delivery) -> int:
        return obj.attempt_total

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
