from django.contrib import admin

from inbound.models import InboundEmail
from security.admin_site import AdminsReadOnlyMixin


@admin.register(InboundEmail)
class InboundEmailAdmin(AdminsReadOnlyMixin, admin.ModelAdmin):
    """What the mailbox brought and what became of it (no addresses or text are kept)."""

    list_display = ("received_at", "outcome", "ticket", "size", "message_id")
    list_filter = ("outcome",)
    search_fields = ("=message_id", "=ticket__reference")
    readonly_fields = (
        "received_at",
        "outcome",
        "ticket",
        "ticket_message",
        "size",
        "message_id",
        "raw_sha256",
    )
    show_full_result_count = False
