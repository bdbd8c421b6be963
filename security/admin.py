from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from security.admin_site import AdminsReadOnlyMixin
from security.models import AuditEvent

# Devices change only through the log-in and `manage.py reset_two_factor` (audited, and it closes
# the user's sockets), never by editing rows in the admin.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(AuditEvent)
class AuditEventAdmin(AdminsReadOnlyMixin, admin.ModelAdmin):
    """Readable by superusers, changeable by nobody."""

    list_display = ("created_at", "actor_username", "action", "ticket_reference", "target")
    list_filter = ("action", "created_at")
    search_fields = ("=actor_username", "=ticket_reference")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
