"""The agents' view of tickets: a first admin; the queue issue turns it into a work queue."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from tickets import selectors, services
from tickets.forms import evidence_display
from tickets.models import (
    AgentProfile,
    Channel,
    GuardEvent,
    Message,
    RoutingRule,
    SLAPolicy,
    Status,
    Team,
    TeamHoliday,
    TeamMembership,
    Ticket,
    TicketEvent,
    WebhookAttempt,
    WebhookDelivery,
)
from tickets.protection import refuse_secrets


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("author_kind", "author", "channel", "is_internal", "body", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "field", "old_value", "new_value", "actor")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AgentTicketForm(forms.ModelForm):
    """Open a ticket for a phone call or a social-media message."""

    description = forms.CharField(label=_("What the customer said"), widget=forms.Textarea)

    class Meta:
        model = Ticket
        fields = (
            "channel",
            "problem_type",
            "subject",
            "customer_email",
            "customer_name",
            "wallet_account_id",
            "language",
        )

    def clean(self):
        cleaned = super().clean()
        for refusal in refuse_secrets({"description": cleaned.get("description", "")}):
            self.add_error("description", refusal.message)
        return cleaned


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "subject",
        "problem_type",
        "channel",
        "priority",
        "status",
        "team",
        "assignee",
        "first_response_due",
        "updated_at",
    )
    list_filter = ("status", "problem_type", "channel", "priority", "team")
    list_select_related = ("team", "assignee")
    search_fields = ("reference", "customer_email", "wallet_account_id", "transaction_hash")
    readonly_fields = (
        "reference",
        "problem_type",
        "channel",
        "status",
        "customer_email",
        "customer_name",
        "wallet_account_id",
        "evidence_table",
        "transaction_link",
        "same_transaction",
        "guard_summary",
        "satisfaction_rating",
        "satisfaction_comment",
        "first_response_due",
        "first_responded_at",
        "resolution_due",
        "escalated_at",
        "created_at",
        "updated_at",
    )
    fields = (*readonly_fields, "priority", "team", "assignee")
    inlines = (MessageInline, EventInline)
    actions = ("mark_resolved", "mark_closed")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = AgentTicketForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return (*AgentTicketForm.Meta.fields, "description")
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return () if obj is None else self.inlines

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "channel":
            kwargs["choices"] = [
                (Channel.PHONE, Channel.PHONE.label),
                (Channel.SOCIAL, Channel.SOCIAL.label),
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            services.ticket_reassign(
                ticket=obj,
                actor=request.user,
                **{field: form.cleaned_data[field] for field in form.changed_data},
            )
            return
        data = form.cleaned_data
        created = services.ticket_create(
            problem_type=data["problem_type"],
            channel=data["channel"],
            subject=data["subject"],
            description=data["description"],
            customer_email=data["customer_email"],
            customer_name=data["customer_name"],
            wallet_account_id=data["wallet_account_id"],
            language=data["language"],
            actor=request.user,
        )
        obj.pk = created.pk
        obj.reference = created.reference

    @admin.display(description=_("evidence"))
    def evidence_table(self, ticket: Ticket) -> str:
        if not ticket.evidence:
            return "-"
        rows = evidence_display(ticket.problem_type, ticket.evidence)
        return format_html(
            "<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        )

    @admin.display(description=_("transaction"))
    def transaction_link(self, ticket: Ticket) -> str:
        url = selectors.ticket_explorer_url(ticket=ticket)
        if not ticket.transaction_hash:
            return "-"
        if url is None:
            return ticket.transaction_hash
        return format_html(
            '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>',
            url,
            ticket.transaction_hash,
        )

    @admin.display(description=_("same transaction"))
    def same_transaction(self, ticket: Ticket) -> str:
        others = selectors.tickets_sharing_hash(ticket=ticket)[:20]
        if not others:
            return "-"
        return format_html_join(
            ", ",
            '<a href="../../{}/change/">{}</a>',
            ((other.pk, other.reference) for other in others),
        )

    @admin.display(description=_("refused secrets"))
    def guard_summary(self, ticket: Ticket) -> str:
        events = list(selectors.ticket_guard_events(ticket=ticket)[:50])
        if not events:
            return "-"
        return format_html_join(
            "",
            "<div>{} · {} · {}</div>",
            (
                (event.created_at, event.get_kind_display(), event.get_source_display())
                for event in events
            ),
        )

    def _move(self, request, queryset, status: str) -> None:
        moved = 0
        for ticket in queryset:
            try:
                services.ticket_change_status(ticket=ticket, status=status, actor=request.user)
                moved += 1
            except services.TicketError as error:
                self.message_user(request, f"{ticket.reference}: {error.message}", messages.WARNING)
        self.message_user(request, _("%(count)d tickets updated.") % {"count": moved})

    @admin.action(description=_("Mark resolved"))
    def mark_resolved(self, request, queryset):
        self._move(request, queryset, Status.RESOLVED)

    @admin.action(description=_("Close"))
    def mark_closed(self, request, queryset):
        self._move(request, queryset, Status.CLOSED)


@admin.register(GuardEvent)
class GuardEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "source", "ticket", "customer_email", "field")
    list_filter = ("kind", "source")
    readonly_fields = ("created_at", "kind", "source", "ticket", "customer_email", "field")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ("user",)


class TeamHolidayInline(admin.TabularInline):
    model = TeamHoliday
    extra = 1


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_zh_hans", "time_zone")
    search_fields = ("code", "name_en", "name_zh_hans")
    inlines = (TeamMembershipInline, TeamHolidayInline)


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("display_name", "agent_code", "user", "availability", "capacity")
    list_filter = ("availability",)
    list_editable = ("availability", "capacity")
    search_fields = ("display_name", "agent_code", "user__username", "user__email")
    autocomplete_fields = ("user",)


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

    def has_add_permission(self, request) -> bool:
        return False
