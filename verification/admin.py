from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from verification import services
from verification.models import FakeReport, KnownFake, OfficialContact


@admin.register(OfficialContact)
class OfficialContactAdmin(admin.ModelAdmin):
    list_display = ("value", "kind", "platform", "description_en", "is_active")
    list_filter = ("kind", "platform", "is_active")
    search_fields = ("value", "normalised", "description_en", "description_zh_hans")
    fieldsets = (
        (None, {"fields": ("kind", "platform", "value", "is_active")}),
        (None, {"fields": ("description_en", "description_zh_hans")}),
    )


@admin.register(KnownFake)
class KnownFakeAdmin(admin.ModelAdmin):
    list_display = ("value", "kind", "platform", "reported_at", "confirmed_at", "confirmed_by")
    list_filter = ("kind", "platform")
    search_fields = ("value", "normalised")
    fields = ("kind", "platform", "value", "reported_at", "report")
    raw_id_fields = ("report",)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.confirmed_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(FakeReport)
class FakeReportAdmin(admin.ModelAdmin):
    list_display = ("ticket", "value", "kind", "platform", "where_seen", "confirmed_at")
    list_filter = ("kind", "where_seen", "confirmed_at")
    search_fields = ("value", "normalised", "ticket__reference")
    readonly_fields = ("ticket", "kind", "platform", "value", "where_seen", "confirmed_at")
    actions = ["confirm_as_fake"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Confirm as known fakes"), permissions=["change"])
    def confirm_as_fake(self, request, queryset) -> None:
        confirmed = 0
        for report in queryset.select_related("ticket"):
            try:
                services.fake_report_confirm(report=report, actor=request.user)
            except services.ReportNotReadable:
                self.message_user(
                    request,
                    _("%(value)s does not read as a contact: add it as a known fake by hand.")
                    % {"value": report.value},
                    messages.WARNING,
                )
            else:
                confirmed += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d confirmed as a known fake.",
                "%(count)d confirmed as known fakes.",
                confirmed,
            )
            % {"count": confirmed},
        )
