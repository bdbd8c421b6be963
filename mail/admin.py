from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mail.models import FailedMail
from mail.services import failed_mail_resend


@admin.register(FailedMail)
class FailedMailAdmin(admin.ModelAdmin):
    list_display = ("task_name", "error", "what_happened", "retries", "failed_at", "resent_at")
    list_filter = ("task_name", "error")
    search_fields = ("task_id",)
    readonly_fields = (
        "task_name",
        "task_id",
        "arguments",
        "error",
        "what_happened",
        "retries",
        "failed_at",
    )
    actions = ["send_again"]

    # Every agent sees what did not reach a customer; nobody edits the record.
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("what happened"))
    def what_happened(self, failed: FailedMail) -> str:
        return str(failed.explanation)

    @admin.action(description=_("Send the selected mail again"), permissions=["view"])
    def send_again(self, request, queryset) -> None:
        sent = 0
        for failed in queryset:
            if failed.can_resend:
                failed_mail_resend(failed=failed)
                sent += 1
        self.message_user(
            request,
            ngettext("%(count)d mail queued again.", "%(count)d mail queued again.", sent)
            % {"count": sent},
            messages.SUCCESS,
        )
