"""Customers' data requests in the admin: superusers only, carried out or refused by action."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.errors import DeskError
from privacy import selectors
from privacy import services as privacy
from privacy.models import DataRequest


def _superuser(request) -> bool:
    return request.user.is_active and request.user.is_superuser


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "status",
        "address",
        "language",
        "requested_at",
        "confirmed_at",
        "completed_at",
        "carried_out_by",
    )
    list_filter = ("status", "kind")
    list_select_related = ("carried_out_by",)
    # The search box takes an address and looks for its hash, so requests whose address was
    # deleted are found too; get_search_results does the lookup.
    search_fields = ("email_hash",)
    search_help_text = _("An email address: finds its requests, even after a deletion.")
    fields = (
        "kind",
        "status",
        "address",
        "language",
        "requested_at",
        "confirmed_at",
        "completed_at",
        "carried_out_by",
        "counts",
    )
    readonly_fields = fields
    actions = ("carry_out", "refuse")

    def has_module_permission(self, request) -> bool:
        return _superuser(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _superuser(request)

    def has_carry_out_permission(self, request) -> bool:
        return _superuser(request)

    def has_add_permission(self, request) -> bool:
        return False  # customers make requests, on /privacy/

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record that a request was made and carried out stays

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(email_hash=selectors.email_fingerprint(term)), False

    @admin.display(description=_("email"))
    def address(self, data_request: DataRequest) -> str:
        return data_request.email or _("(deleted)")

    @admin.display(description=_("counts"))
    def counts(self, data_request: DataRequest) -> str:
        return ", ".join(f"{key}: {value}" for key, value in data_request.summary.items()) or "-"

    @admin.action(description=_("Carry out the selected requests"), permissions=["carry_out"])
    def carry_out(self, request, data_requests):
        deletions = [item for item in data_requests if item.kind == DataRequest.Kind.DELETE]
        if deletions and request.POST.get("confirmed") != "yes":
            return self._confirm_deletions(request, data_requests, deletions)
        done = self._for_each(
            request,
            data_requests,
            lambda data_request: privacy.data_request_carry_out(
                data_request=data_request, actor=request.user, request=request
            ),
        )
        self.message_user(
            request,
            ngettext("%(count)d request carried out.", "%(count)d requests carried out.", done)
            % {"count": done},
        )

    @admin.action(description=_("Refuse the selected requests"), permissions=["carry_out"])
    def refuse(self, request, data_requests):
        done = self._for_each(
            request,
            data_requests,
            lambda data_request: privacy.data_request_refuse(
                data_request=data_request, actor=request.user
            ),
        )
        self.message_user(
            request,
            ngettext("%(count)d request refused.", "%(count)d requests refused.", done)
            % {"count": done},
        )

    def _confirm_deletions(self, request, data_requests, deletions) -> TemplateResponse:
        """A deletion cannot be undone: show what it removes and ask once more."""
        context = {
            **self.admin_site.each_context(request),
            "title": _("Delete these customers' data?"),
            "opts": self.opts,
            "deletions": [
                (item, selectors.customer_tickets(email=item.email).count() if item.email else 0)
                for item in deletions
            ],
            "selected": [item.pk for item in data_requests],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "privacy/admin/confirm_carry_out.html", context)

    def _for_each(self, request, data_requests, act) -> int:
        """Apply `act` to each request; a refused one is reported, the others counted."""
        done = 0
        for data_request in data_requests:
            try:
                act(data_request)
            except DeskError as error:
                self.message_user(request, f"{data_request}: {error.message}", messages.WARNING)
            else:
                done += 1
        return done
