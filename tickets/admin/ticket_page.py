"""The agents' work queue: the ticket list with saved views, bulk actions and the ticket page.

Every write goes through tickets.services (one transaction, an audit event each); who may see and
move what is agents.roles.desk_role. Pages stay in a fixed number of queries at any size.
"""

from copy import copy
from uuid import uuid4

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponseRedirect, JsonResponse, QueryDict
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from agents.models import AgentProfile
from agents.roles import desk_role
from agents.selectors import agent_identity
from guard.refusals import refuse_secrets
from security.audit import Action, audit_record
from tickets import selectors, services, sla
from tickets.admin import queue
from tickets.admin.forms import AgentReplyForm, QueueActionForm, TicketWorkForm
from tickets.models import (
    Channel,
    Status,
    Ticket,
)
from tickets.views import attachment_response

LIST_COUNT_CAP = 10_000
VIEWERS_SECONDS = 60


class CappedCountPaginator(Paginator):
    """Counts at most LIST_COUNT_CAP + 1 rows: "10,000+" instead of counting a million."""

    @cached_property
    def count(self) -> int:
        return self.object_list[: LIST_COUNT_CAP + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > LIST_COUNT_CAP


class SavedViewFilter(admin.SimpleListFilter):
    """An agent's day: each saved view with its count; the default is every open ticket."""

    title = _("view")
    parameter_name = "view"

    def lookups(self, request, model_admin):
        counts = queue.queue_counts(user=request.user)
        self.open_count = counts[queue.DEFAULT_VIEW]
        return [
            (view.code, _label_with_count(view.label, counts.get(view.code)))
            for view in queue.SAVED_VIEWS
        ]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _label_with_count(_("Open work"), self.open_count),
        }
        for code, label in self.lookup_choices:
            yield {
                "selected": self.value() == code,
                "query_string": changelist.get_query_string({self.parameter_name: code}),
                "display": label,
            }

    def queryset(self, request, tickets):
        code = self.value() or queue.DEFAULT_VIEW
        return tickets.filter(queue.saved_view_q(code, user=request.user, now=timezone.now()))


def _label_with_count(label, count: int | None) -> str:
    if count is None:
        return str(label)
    shown = f"{queue.QUEUE_COUNT_CAP}+" if count > queue.QUEUE_COUNT_CAP else str(count)
    return f"{label} ({shown})"


class SlaFilter(admin.SimpleListFilter):
    title = _("SLA")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [
            ("on_time", _("On time")),
            ("at_risk", _("At risk")),
            ("breached", _("Breached")),
        ]

    def queryset(self, request, tickets):
        now = timezone.now()
        if self.value() == "breached":
            return tickets.filter(queue.breached_q(now))
        if self.value() == "at_risk":
            return tickets.filter(queue.at_risk_q(now))
        if self.value() == "on_time":
            return tickets.filter(status__in=queue.OPEN_STATUSES).exclude(
                queue.breached_q(now) | queue.at_risk_q(now)
            )
        return tickets


class AssigneeFilter(admin.SimpleListFilter):
    """The desk's agents (a few dozen rows), not every user, and "unassigned"."""

    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        agents = AgentProfile.objects.order_by("display_name").values_list(
            "user_id", "display_name"
        )
        return [("none", _("Unassigned")), *((str(pk), name) for pk, name in agents)]

    def queryset(self, request, tickets):
        if self.value() == "none":
            return tickets.filter(assignee__isnull=True)
        if self.value() and self.value().isdigit():
            return tickets.filter(assignee_id=int(self.value()))
        return tickets


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
    # A work list: who, what, how urgent, whose, how recent; one line a ticket.
    list_display = (
        "reference",
        "customer_display",
        "problem_type",
        "due",
        "assignee_display",
        "last_activity",
    )
    list_filter = (
        SavedViewFilter,
        SlaFilter,
        "status",
        "problem_type",
        "channel",
        "priority",
        "team",
        AssigneeFilter,
    )
    list_select_related = ("team", "assignee__agent_profile")
    list_per_page = 50
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    # The search box: get_search_results replaces Django's icontains scans with exact lookups.
    search_fields = ("reference",)
    search_help_text = _(
        "A reference (WS-…), an email address, a wallet account ID or a transaction hash."
    )
    action_form = QueueActionForm
    actions = (
        "assign_to_me",
        "assign_to_agent",
        "assign_to_team",
        "set_priority",
        "set_status",
        "merge_duplicates",
        "mark_resolved",
        "mark_closed",
    )
    change_form_template = "admin/tickets/ticket/change_form.html"
    change_list_template = "admin/tickets/ticket/change_list.html"
    readonly_fields = (
        "reference",
        "problem_type",
        "channel",
        "customer_email",
        "customer_name",
        "wallet_account_id",
        "language",
        "transaction_link",
        "sla_clock",
        "first_response_due",
        "first_responded_at",
        "resolution_due",
        "escalated_at",
        "satisfaction",
        "created_at",
        "updated_at",
    )

    # --- who may do what -------------------------------------------------------------------

    def has_module_permission(self, request) -> bool:
        return desk_role(request.user).is_agent

    def has_view_permission(self, request, obj=None) -> bool:
        return desk_role(request.user).is_agent

    def has_change_permission(self, request, obj=None) -> bool:
        return desk_role(request.user).is_agent

    def has_add_permission(self, request) -> bool:
        return desk_role(request.user).is_agent

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # tickets are records: they are closed or merged, never deleted here

    def has_reassign_permission(self, request) -> bool:
        role = desk_role(request.user)
        return role.is_admin or bool(role.lead_team_ids)

    def get_queryset(self, request):
        return (
            selectors.tickets_visible_to(request.user)
            .select_related("team", "assignee__agent_profile")
            .annotate(next_due=queue.NEXT_DUE)
        )

    def get_sortable_by(self, request):
        # Open work is a few thousand rows: any column sorts. The whole history is sorted only
        # by what has an index.
        if request.GET.get("view") in {"all", "solved"}:
            return ("reference",)
        return self.list_display

    def get_ordering(self, request):
        return queue.saved_view_ordering(request.GET.get("view") or queue.DEFAULT_VIEW)

    def get_search_results(self, request, tickets, search_term):
        lookup = queue.search_q(search_term)
        if lookup is None:
            return tickets, False
        return tickets.filter(lookup), False

    # --- the list --------------------------------------------------------------------------

    @admin.display(description=_("next deadline"), ordering="next_due")
    def due(self, ticket: Ticket) -> str:
        clock = sla.sla_clock(ticket)
        if clock.due is None:
            return format_html('<span class="sla sla-{}">{}</span>', clock.state, clock.label)
        now = timezone.now()
        if clock.due > now:
            distance = _("in %(time)s") % {"time": timeuntil(clock.due, now, depth=1)}
        else:
            distance = _("%(time)s ago") % {"time": timesince(clock.due, now, depth=1)}
        return format_html(
            '<span class="sla sla-{}">{}</span> <time datetime="{}" title="{}">{}</time>',
            clock.state,
            clock.label,
            clock.due.isoformat(),
            timezone.localtime(clock.due).strftime("%Y-%m-%d %H:%M"),
            distance,
        )

    @admin.display(description=_("customer"), ordering="customer_email")
    def customer_display(self, ticket: Ticket) -> str:
        return format_html(
            '<span class="queue-customer"><span>{}</span><small class="queue-subject">{}</small>'
            "</span>",
            ticket.customer_name or ticket.customer_email,
            ticket.subject,
        )

    @admin.display(description=_("assignee"), ordering="assignee")
    def assignee_display(self, ticket: Ticket) -> str:
        if ticket.assignee is None:
            return "-"
        return agent_identity(ticket.assignee)[0]

    @admin.display(description=_("last activity"), ordering="updated_at")
    def last_activity(self, ticket: Ticket) -> str:
        return timezone.localtime(ticket.updated_at).strftime("%Y-%m-%d %H:%M")

    # --- bulk actions ----------------------------------------------------------------------

    def _form_value(self, request, name: str):
        form = QueueActionForm(request.POST)
        form.is_valid()
        return form.cleaned_data.get(name)

    def _for_each(self, request, tickets, change, *, needs_reassign: bool = False) -> None:
        done = 0
        for ticket in tickets:
            if needs_reassign and not selectors.can_reassign(user=request.user, ticket=ticket):
                self.message_user(
                    request,
                    _("%(reference)s: only a lead of its team can reassign it.")
                    % {"reference": ticket.reference},
                    messages.WARNING,
                )
                continue
            try:
                change(ticket)
                done += 1
            except services.TicketError as error:
                self.message_user(request, f"{ticket.reference}: {error.message}", messages.WARNING)
        self.message_user(
            request,
            ngettext("%(count)d ticket updated.", "%(count)d tickets updated.", done)
            % {"count": done},
        )

    @admin.action(description=_("Assign to me"))
    def assign_to_me(self, request, tickets):
        def take(ticket: Ticket) -> None:
            taken = ticket.assignee_id not in (None, request.user.pk)
            if taken and not selectors.can_reassign(user=request.user, ticket=ticket):
                raise services.TicketError(
                    str(_("a colleague already has it; ask them or a team lead.")),
                    code="assigned",
                )
            services.ticket_reassign(ticket=ticket, actor=request.user, assignee=request.user)

        self._for_each(request, tickets, take)

    @admin.action(description=_("Assign to the chosen agent"), permissions=["reassign"])
    def assign_to_agent(self, request, tickets):
        agent = self._form_value(request, "agent")
        if agent is None:
            self.message_user(request, _("Choose an agent first."), messages.ERROR)
            return
        self._for_each(
            request,
            tickets,
            lambda ticket: services.ticket_reassign(
                ticket=ticket, actor=request.user, assignee=agent
            ),
            needs_reassign=True,
        )

    @admin.action(description=_("Move to the chosen team"), permissions=["reassign"])
    def assign_to_team(self, request, tickets):
        team = self._form_value(request, "team")
        if team is None:
            self.message_user(request, _("Choose a team first."), messages.ERROR)
            return
        self._for_each(
            request,
            tickets,
            lambda ticket: services.ticket_reassign(
                ticket=ticket, actor=request.user, team=team, assignee=None
            ),
            needs_reassign=True,
        )

    @admin.action(description=_("Set the chosen priority"))
    def set_priority(self, request, tickets):
        priority = self._form_value(request, "priority")
        if not priority:
            self.message_user(request, _("Choose a priority first."), messages.ERROR)
            return
        self._for_each(
            request,
            tickets,
            lambda ticket: services.ticket_reassign(
                ticket=ticket, actor=request.user, priority=priority
            ),
        )

    @admin.action(description=_("Set the chosen status"))
    def set_status(self, request, tickets):
        status = self._form_value(request, "status")
        if not status:
            self.message_user(request, _("Choose a status first."), messages.ERROR)
            return
        self._move(request, tickets, status)

    @admin.action(description=_("Merge duplicates into the oldest"))
    def merge_duplicates(self, request, tickets):
        chosen = list(tickets)
        try:
            target = services.ticket_merge(tickets=chosen, actor=request.user)
        except services.TicketError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(
            request,
            ngettext(
                "%(count)d ticket merged into %(reference)s; the customer was sent a new link.",
                "%(count)d tickets merged into %(reference)s; the customer was sent a new link.",
                len(chosen) - 1,
            )
            % {"count": len(chosen) - 1, "reference": target.reference},
        )

    def _move(self, request, tickets, status: str) -> None:
        self._for_each(
            request,
            tickets,
            lambda ticket: services.ticket_change_status(
                ticket=ticket, status=status, actor=request.user
            ),
        )

    @admin.action(description=_("Mark resolved"))
    def mark_resolved(self, request, tickets):
        self._move(request, tickets, Status.RESOLVED)

    @admin.action(description=_("Close"))
    def mark_closed(self, request, tickets):
        self._move(request, tickets, Status.CLOSED)

    # --- the ticket page -------------------------------------------------------------------

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = AgentTicketForm if obj is None else TicketWorkForm
        form = super().get_form(request, obj, **kwargs)
        for name in ("team", "assignee"):
            if name in form.base_fields:
                # Choose a team or an agent; editing those is elsewhere in the admin.
                widget = form.base_fields[name].widget
                widget.can_add_related = widget.can_change_related = False
                widget.can_delete_related = widget.can_view_related = False
        return form

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": (*AgentTicketForm.Meta.fields, "description")})]
        work = ["status", "priority", "loaded_at"]
        if selectors.can_reassign(user=request.user, ticket=obj):
            work += ["team", "assignee"]
        else:
            work += ["team_name", "assignee_name"]
        return [
            (
                _("Customer"),
                {
                    "fields": (
                        "reference",
                        ("problem_type", "channel", "language"),
                        ("customer_name", "customer_email"),
                        "wallet_account_id",
                        "transaction_link",
                    )
                },
            ),
            (_("Work"), {"fields": work}),
            (
                _("Response-time targets"),
                {
                    "fields": (
                        "sla_clock",
                        ("first_response_due", "first_responded_at"),
                        ("resolution_due", "escalated_at"),
                    )
                },
            ),
            (_("Satisfaction"), {"fields": ("satisfaction",)}),
            (_("Dates"), {"fields": (("created_at", "updated_at"),)}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (*self.readonly_fields, "team_name", "assignee_name")

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "channel":
            kwargs["choices"] = [
                (Channel.PHONE, Channel.PHONE.label),
                (Channel.SOCIAL, Channel.SOCIAL.label),
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            self._save_work(request, obj, form)
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

    def _save_work(self, request, ticket: Ticket, form) -> None:
        changed = {
            field: form.cleaned_data[field]
            for field in form.changed_data
            if field in {"priority", "team", "assignee"}
        }
        if ({"team", "assignee"} & changed.keys()) and not selectors.can_reassign(
            user=request.user, ticket=Ticket.objects.get(pk=ticket.pk)
        ):
            raise PermissionDenied
        if changed:
            services.ticket_reassign(ticket=ticket, actor=request.user, **changed)
        if "status" in form.changed_data:
            services.ticket_change_status(
                ticket=ticket, status=form.cleaned_data["status"], actor=request.user
            )

    def save_related(self, request, form, formsets, change):
        if not change:
            super().save_related(request, form, formsets, change)

    def get_object(self, request, object_id, from_field=None):
        # change_view has loaded the ticket for the workspace: Django's form view reuses it.
        loaded = getattr(request, "_workspace_ticket", None)
        if loaded is not None and from_field is None and str(loaded.pk) == str(object_id):
            return loaded
        return super().get_object(request, object_id, from_field)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ticket = self.get_object(request, unquote(object_id))
        if ticket is None:
            return super().change_view(request, object_id, form_url, extra_context)
        request._workspace_ticket = ticket
        canned = queue.canned_replies(ticket=ticket, agent=request.user)
        reply_form = None
        if request.method == "POST" and "_reply" in request.POST:
            reply_form = AgentReplyForm(request.POST, canned_replies=canned)
            if "_insert_canned" in request.POST:
                reply_form = reply_form.with_canned_text()
            elif reply_form.is_valid():
                try:
                    services.message_post_agent(
                        ticket=ticket,
                        author=request.user,
                        body=reply_form.cleaned_data["body"],
                        is_internal=reply_form.cleaned_data["is_internal"],
                        seen_up_to=reply_form.cleaned_data["seen_up_to"],
                        client_id=reply_form.cleaned_data["client_id"],
                    )
                except services.TicketError as error:
                    reply_form.add_error(None, error.message)
                else:
                    note = reply_form.cleaned_data["is_internal"]
                    self.message_user(
                        request,
                        _("Note added.") if note else _("Reply sent to the customer."),
                    )
                    return HttpResponseRedirect(request.path)
            request = _as_get(request)
        workspace = queue.ticket_workspace(ticket=ticket, agent=request.user)
        audit_record(Action.VIEW_TICKET, request=request, ticket_reference=ticket.reference)
        if reply_form is None:
            reply_form = AgentReplyForm(
                initial={"seen_up_to": workspace.seen_up_to}, canned_replies=canned
            )
        context = {
            **(extra_context or {}),
            "show_save_and_add_another": False,
            "workspace": workspace,
            "reply_form": reply_form,
            "viewers": viewers_record(ticket_id=ticket.pk, user=request.user),
            "reply_key": uuid4(),
            "viewers_url": reverse("admin:tickets_ticket_viewers", args=[ticket.pk]),
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/viewers/",
                self.admin_site.admin_view(self.viewers_view),
                name="tickets_ticket_viewers",
            ),
            path(
                "<path:object_id>/attachments/<int:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="tickets_ticket_attachment",
            ),
        ]
        return own + super().get_urls()

    def viewers_view(self, request, object_id):
        ticket = self.get_object(request, unquote(object_id))
        if ticket is None or not self.has_view_permission(request, ticket):
            raise Http404("no such ticket")
        viewers = viewers_record(ticket_id=ticket.pk, user=request.user)
        return JsonResponse({"viewers": viewers})

    def attachment_view(self, request, object_id, attachment_id: int):
        ticket = self.get_object(request, unquote(object_id))
        if ticket is None or not self.has_view_permission(request, ticket):
            raise Http404("no such ticket")
        found = selectors.attachment_for_ticket(
            ticket=ticket, attachment_id=attachment_id, include_internal=True
        )
        if found is None:
            raise Http404("no such attachment")
        audit_record(
            Action.DOWNLOAD_ATTACHMENT,
            request=request,
            ticket_reference=ticket.reference,
            target=f"attachment {found.pk}",
        )
        return attachment_response(found)

    # --- read-only fields ------------------------------------------------------------------

    @admin.display(description=_("team"))
    def team_name(self, ticket: Ticket) -> str:
        return str(ticket.team) if ticket.team else "-"

    @admin.display(description=_("assignee"))
    def assignee_name(self, ticket: Ticket) -> str:
        return str(ticket.assignee) if ticket.assignee else "-"

    @admin.display(description=_("SLA clock"))
    def sla_clock(self, ticket: Ticket) -> str:
        return self.due(ticket)

    @admin.display(description=_("satisfaction"))
    def satisfaction(self, ticket: Ticket) -> str:
        if ticket.satisfaction_rating is None:
            return "-"
        stars = "★" * ticket.satisfaction_rating + "☆" * (5 - ticket.satisfaction_rating)
        return format_html(
            '<span aria-label="{}">{}</span> {}',
            _("%(rating)d of 5") % {"rating": ticket.satisfaction_rating},
            stars,
            ticket.satisfaction_comment,
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


def _as_get(request: HttpRequest) -> HttpRequest:
    """The same request as a GET, to render the page again after a refused reply."""
    again = copy(request)
    again.method = "GET"
    again.POST = QueryDict()
    return again


def viewers_record(*, ticket_id: int, user) -> list[str]:
    """Note that `user` is looking at the ticket now; the others seen in the last minute."""
    key = f"ticket-viewers:{ticket_id}"
    now = timezone.now().timestamp()
    seen = {
        viewer: entry
        for viewer, entry in (cache.get(key) or {}).items()
        if now - entry[1] < VIEWERS_SECONDS
    }
    name = agent_identity(user)[0]
    seen[user.pk] = (name, now)
    cache.set(key, seen, VIEWERS_SECONDS)
    return sorted(entry[0] for viewer, entry in seen.items() if viewer != user.pk)
