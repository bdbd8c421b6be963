from django.contrib import admin

from guard.models import GuardEvent
from security.admin_site import AdminsReadOnlyMixin


@admin.register(GuardEvent)
class GuardEventAdmin(AdminsReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "source", "ticket", "customer_email", "field")
    list_filter = ("kind", "source")
    readonly_fields = ("created_at", "kind", "source", "ticket", "customer_email", "field")
