"""Reads of the ticket desk."""

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agents.models import AgentProfile, Team
from agents.roles import desk_role
from common.business_hours import (
    BusinessCalendar,
    add_business_time,
    business_time_between,
    is_business_time,
    parse_time_zone,
    utc_offset_text,
)
from guard.detect import RECENT_MESSAGES
from guard.models import GuardEvent
from tickets.models import (
    OPEN_STATUSES,
    Attachment,
    AuthorKind,
    Channel,
    Message,
    Priority,
    ProblemType,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.routing import routing_decide
from tickets.routing_config import routing_config
from tickets.sla import sla_targets, team_calendar
from tickets.validators import explorer_url

ESTIMATE_CACHE_KEY = "tickets:first-response-estimates"
CALENDAR_CACHE_KEY = "tickets:first-response-calendars"
ESTIMATE_CACHE_SECONDS = 60
RECENT_DAYS = 14
RECENT_SAMPLE = 2000
MIN_SAMPLES = 5
ESTIMATE_CHANNELS = (Channel.WEB, Channel.CHAT, Channel.EMAIL)


def first_response_estimates() -> dict[tuple[str, str], timedelta]:
    """Expected first response now, per problem type and channel (cached for a minute).

    The median first response of recent tickets of that type and channel (the published target
    when there are fewer than MIN_SAMPLES), plus the queue ahead: tickets of that type still
    waiting for a first response, shared among the team's online agents, at
    SUPPORT_MINUTES_PER_TICKET each.
    """
    cached = cache.get(ESTIMATE_CACHE_KEY)
    if cached is not None:
        return cached
    now = timezone.now()
    samples: dict[tuple[str, str], list[float]] = {}
    recent = (
        Ticket.objects.filter(
            created_at__gte=now - timedelta(days=RECENT_DAYS), first_responded_at__isnull=False
        )
        .order_by("-created_at")
        .values_list("problem_type", "channel", "created_at", "first_responded_at")[:RECENT_SAMPLE]
    )
    for problem_type, channel, created, responded in recent:
        samples.setdefault((problem_type, channel), []).append(
            max(0.0, (responded - created).total_seconds())
        )
    waiting = dict(
        Ticket.objects.filter(first_responded_at__isnull=True, status__in=OPEN_STATUSES)
        .values_list("problem_type")
        .annotate(count=Count("id"))
        .values_list("problem_type", "count")
    )
    online = dict(
        AgentProfile.objects.filter(availability=AgentProfile.Availability.ONLINE)
        .values_list("user__team_memberships__team")
        .annotate(count=Count("id"))
        .values_list("user__team_memberships__team", "count")
    )
    per_ticket = timedelta(minutes=settings.SUPPORT_MINUTES_PER_TICKET)
    estimates = {}
    for problem_type in ProblemType.values:
        # Where routing sends a ticket of this type that says nothing more.
        decision = routing_decide(problem_type=problem_type, text="")
        target = sla_targets(problem_type=problem_type, priority=decision.priority).first_response
        agents = online.get(decision.team.pk, 0) if decision.team else 0
        queue = per_ticket * (waiting.get(problem_type, 0) / max(agents, 1))
        for channel in ESTIMATE_CHANNELS:
            durations = samples.get((problem_type, channel), [])
            base = (
                timedelta(seconds=statistics.median(durations))
                if len(durations) >= MIN_SAMPLES
                else target
            )
            estimates[(problem_type, channel)] = base + queue
    cache.set(ESTIMATE_CACHE_KEY, estimates, ESTIMATE_CACHE_SECONDS)
    return estimates


def expected_first_response(*, problem_type: str, channel: str = Channel.WEB) -> timedelta:
    return _estimate_of(first_response_estimates(), problem_type, channel)


def _estimate_of(estimates: dict, problem_type: str, channel: str) -> timedelta:
    return estimates.get((problem_type, channel)) or estimates[(problem_type, Channel.WEB)]


def duration_text(duration: timedelta) -> str:
    """ "30 minutes", "2 hours", "1 day": how the customer reads a response target."""
    minutes = int(duration.total_seconds() // 60)
    if minutes < 60:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = minutes // 60
    if hours < 24 or hours % 24:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    days = hours // 24
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def first_response_calendars() -> dict[str, BusinessCalendar]:
    """Per problem type, the business hours of the team routing sends it to (cached a minute):
    the calendar its SLA clock will count in."""
    cached = cache.get(CALENDAR_CACHE_KEY)
    if cached is not None:
        return cached
    calendars = {
        problem_type: team_calendar(routing_decide(problem_type=problem_type, text="").team)
        for problem_type in ProblemType.values
    }
    cache.set(CALENDAR_CACHE_KEY, calendars, ESTIMATE_CACHE_SECONDS)
    return calendars


@dataclass(frozen=True)
class FirstResponsePromise:
    """When the customer may expect a first answer, counted on the ticket's SLA clock."""

    due: datetime  # aware, UTC
    estimate: timedelta  # business time
    clock_running: bool  # the team is at work from start to due without a break
    text: str


def first_response_promise(
    *,
    problem_type: str,
    channel: str = Channel.WEB,
    start: datetime | None = None,
    team: Team | None = None,
    routed: bool = False,
    due: datetime | None = None,
) -> FirstResponsePromise:
    """The expected first response (`expected_first_response`) counted in business hours from
    `start` (default: now) in the calendar the SLA clock uses: the ticket's team once routed
    (`routed=True`), else the team routing would choose for the problem type. A `due` given (a
    routed ticket's own first-response deadline) is the promise itself."""
    calendar = team_calendar(team) if routed else first_response_calendars()[problem_type]
    estimate = None
    if due is None:
        estimate = expected_first_response(problem_type=problem_type, channel=channel)
    return _promise(calendar=calendar, estimate=estimate, start=start, due=due)


def _promise(
    *,
    calendar: BusinessCalendar,
    estimate: timedelta | None,
    start: datetime | None,
    due: datetime | None,
) -> FirstResponsePromise:
    now = timezone.now()
    start = start or now
    if due is None:
        due = add_business_time(start, estimate, calendar)
    else:
        estimate = business_time_between(start, due, calendar)
    running = is_business_time(start, calendar) and due - start <= estimate + timedelta(minutes=1)
    if running and due > now:
        left = -((now - due) // timedelta(minutes=1))  # whole minutes, rounded up
        text = _("about %(duration)s") % {"duration": duration_text(timedelta(minutes=left))}
    else:
        text = deadline_text(due=due, now=now)
    return FirstResponsePromise(due=due, estimate=estimate, clock_running=running, text=text)


def ticket_first_response_promise(*, ticket: Ticket) -> FirstResponsePromise:
    """The promise of a filed ticket: the estimate from its submission, on its team's clock (the
    confirmation mail, sent before routing, and the page after it say the same)."""
    return first_response_promise(
        problem_type=ticket.problem_type,
        channel=ticket.channel,
        start=ticket.created_at,
        team=ticket.team,
        routed=ticket.routed_at is not None,
    )


def deadline_text(*, due: datetime, now: datetime) -> str:
    """ "by 10:00 today (UTC+8)": a moment in the support time zone, named relative to now."""
    zone = parse_time_zone(name=settings.SUPPORT_TIME_ZONE, where="SUPPORT_TIME_ZONE")
    local_due, local_now = due.astimezone(zone), now.astimezone(zone)
    values = {"time": local_due.strftime("%H:%M"), "zone": utc_offset_text(local_due)}
    days = (local_due.date() - local_now.date()).days
    if days <= 0:
        return _("by %(time)s today (%(zone)s)") % values
    if days == 1:
        return _("by %(time)s tomorrow (%(zone)s)") % values
    return _("by %(time)s on %(date)s (%(zone)s)") % {
        **values,
        "date": date_format(local_due, "MONTH_DAY_FORMAT"),
    }


def expected_first_response_text(*, problem_type: str, channel: str = Channel.WEB) -> str:
    """What a customer who writes now may expect, in words ("about 2 hours", "by 10:00 today")."""
    return first_response_promise(problem_type=problem_type, channel=channel).text


def first_response_table() -> list[dict]:
    """Rows for the home page: each problem type with its expected first response for a ticket
    filed now by the contact form and by email, on the SLA clock of the team it goes to. (Live
    chat's column is the channel guide's, shown by the template with chat presence.)"""
    estimates, calendars = first_response_estimates(), first_response_calendars()
    return [
        {
            "code": code,
            "problem_type": label,
            "by_channel": [
                _promise(
                    calendar=calendars[code],
                    estimate=_estimate_of(estimates, code, channel),
                    start=None,
                    due=None,
                ).text
                for channel in (Channel.WEB, Channel.EMAIL)
            ],
        }
        for code, label in ProblemType.choices
    ]


def customer_recent_texts(*, ticket: Ticket, limit: int = RECENT_MESSAGES) -> list[str]:
    """What the customer wrote last on the ticket, oldest first: the guard reads it with their
    new reply, so a secret split across replies is refused (1 query)."""
    bodies = list(
        ticket.messages.filter(author_kind=AuthorKind.CUSTOMER, is_internal=False)
        .order_by("-id")
        .values_list("body", flat=True)[:limit]
    )
    return bodies[::-1]


def ticket_public_thread(*, ticket: Ticket) -> list[Message]:
    """What the customer sees: every message but internal notes, with attachments (2 queries)."""
    return list(
        ticket.messages.filter(is_internal=False)
        .select_related("author__agent_profile")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )


def ticket_notices(*, ticket: Ticket) -> list[Message]:
    """The desk's own public lines on a ticket (such as a known fake's warning), for the page
    that confirms it was filed."""
    return list(
        ticket.messages.filter(is_internal=False, author_kind=AuthorKind.SYSTEM).order_by("id")
    )


def ticket_explorer_url(*, ticket: Ticket) -> str | None:
    if not ticket.transaction_hash:
        return None
    return explorer_url(ticket.transaction_hash, ticket.transaction_network)


def tickets_sharing_hash(*, ticket: Ticket) -> QuerySet[Ticket]:
    """Other tickets that report the same transaction, for the agent to handle together."""
    if not ticket.transaction_hash:
        return Ticket.objects.none()
    return Ticket.objects.filter(transaction_hash=ticket.transaction_hash).exclude(pk=ticket.pk)


@dataclass(frozen=True)
class HistoryLine:
    """One line of a ticket's history, in the reader's language."""

    created_at: datetime
    actor: AbstractBaseUser | None
    what: str
    old: str
    new: str


_VALUE_CHOICES = {"status": Status, "priority": Priority, "problem_type": ProblemType}


def ticket_history(*, ticket: Ticket, limit: int = 200) -> list[HistoryLine]:
    """The newest `limit` events, values named for whoever reads them.

    The history stores language-neutral values (a team's code, a status code); events written
    before that stored a team's name in the language of whoever acted, so a name in either
    language is recognised too."""
    teams: dict[str, Team] = {}
    for team in routing_config().teams.values():
        teams[team.code] = teams[team.name_en] = teams[team.name_zh_hans] = team
    lines = []
    for event in ticket.events.select_related("actor").order_by("-created_at", "-id")[:limit]:
        what = str(event.get_kind_display())
        if event.field:
            what = f"{what} ({_field_label(event.field)})"
        lines.append(
            HistoryLine(
                created_at=event.created_at,
                actor=event.actor,
                what=what,
                old=_value_label(event, event.old_value, teams),
                new=_value_label(event, event.new_value, teams),
            )
        )
    return lines


def _field_label(field: str) -> str:
    try:
        return str(Ticket._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:  # a field since removed, or a pseudo-field such as "merged_into"
        return field


def _value_label(event: TicketEvent, value: str, teams: dict[str, Team]) -> str:
    if event.field == "team":
        # Routing writes the rule's name as the old value, which is no team and stays as it is.
        team = teams.get(value)
        return str(team) if team is not None else value
    choices = _VALUE_CHOICES.get(event.field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return value


def ticket_guard_events(*, ticket: Ticket) -> QuerySet[GuardEvent]:
    """Refused secrets on this ticket or from its customer's address."""
    return GuardEvent.objects.filter(ticket=ticket) | GuardEvent.objects.filter(
        ticket__isnull=True, customer_email__iexact=ticket.customer_email
    )


def attachment_for_ticket(
    *, ticket: Ticket, attachment_id: int, include_internal: bool = False
) -> Attachment | None:
    """An attachment of this ticket, or None; internal notes' only for agents (include_internal)."""
    attachments = Attachment.objects.filter(pk=attachment_id, message__ticket=ticket)
    if not include_internal:
        attachments = attachments.filter(message__is_internal=False)
    return attachments.select_related("message").first()


def tickets_visible_to(user: AbstractBaseUser) -> QuerySet[Ticket]:
    role = desk_role(user)
    tickets = Ticket.objects.all()
    if role.is_admin:
        return tickets
    if not role.is_agent:
        return tickets.none()
    return tickets.filter(Q(team_id__in=role.team_ids) | Q(assignee=user))


def ticket_visible_to(*, user: AbstractBaseUser, ticket: Ticket) -> bool:
    role = desk_role(user)
    if role.is_admin:
        return True
    return role.is_agent and (ticket.team_id in role.team_ids or ticket.assignee_id == user.pk)


def can_reassign(*, user: AbstractBaseUser, ticket: Ticket) -> bool:
    """Admins move any ticket; team leads the tickets of their teams."""
    return desk_role(user).can_reassign_team(ticket.team_id)


def tickets_of_app_user(*, email: str, wallet_account_id: str) -> QuerySet[Ticket]:
    """A wallet app user's tickets: those filed with their email, or filed in the app by their
    account.

    The email is vouched for by the wallet backend, and it is what the desk already grants a
    ticket to (its private link is mailed there). A wallet account ID typed into the web form is
    not verified, so it alone opens nothing; one set from a token (channel in_app) is. Nor is
    an address typed into the web form or the chat: those tickets show once the customer opened
    a link mailed to it (Ticket.email_verified_at).
    """
    typed_only = Q(channel__in=[Channel.WEB, Channel.CHAT], email_verified_at__isnull=True)
    return Ticket.objects.filter(
        (Q(customer_email__iexact=email) & ~typed_only)
        | Q(channel=Channel.IN_APP, wallet_account_id=wallet_account_id)
    )
