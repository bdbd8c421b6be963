"""Writes of the verification app: a customer's fake-contact report, and its confirmation."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import publish
from tickets import services as ticket_services
from tickets.models import AuthorKind, Channel, Message, ProblemType, Ticket
from verification.models import FakeReport, KnownFake
from verification.normalise import contact_read
from webhooks.events import EventType
from webhooks.services import event_publish

# The customer's warning, on a ticket's page and in a chat (livechat.system_lines "known_fake").
KNOWN_FAKE_WARNING = gettext_lazy(
    "Careful: %(contact)s is a known fake that poses as us. Do not answer it or send it anything."
)
# Warnings a new ticket gets at most: a message naming many fakes is still readable.
KNOWN_FAKE_WARNINGS_KEPT = 3


def fake_report_file(
    *,
    contact: str,
    where_seen: str,
    details: str,
    email: str,
    language: str,
    screenshot: ticket_services.NewAttachment | None = None,
) -> Ticket:
    """File what a customer saw as a ticket of its own, for the security team: an account
    security ticket (which routes to that team) with its FakeReport."""
    read = contact_read(contact)
    with transaction.atomic():
        ticket = ticket_services.ticket_create(
            problem_type=ProblemType.ACCOUNT_SECURITY,
            channel=Channel.WEB,
            subject=_("Report of a fake contact"),
            description=details or _("A customer reported a contact that posed as us."),
            customer_email=email,
            language=language,
            attachments=[screenshot] if screenshot else [],
        )
        report = FakeReport.objects.create(
            ticket=ticket,
            kind=read.kind if read else "",
            platform=read.platform if read else "",
            value=contact.strip(),
            normalised=read.value if read else "",
            where_seen=where_seen,
        )
        event_publish(
            event=EventType.SECURITY_REPORT_FILED,
            data={
                **publish.ticket_data(ticket),
                "report": {
                    "id": report.pk,
                    "kind": report.kind,
                    "platform": report.platform,
                    "where_seen": report.where_seen,
                },
            },
            # What the customer saw (the fake's handle, site or number) and their account of it.
            text={"report": {"contact": report.value, "details": details}},
        )
    return ticket


class ReportNotReadable(ValueError):
    pass


def fake_report_confirm(*, report: FakeReport, actor: AbstractBaseUser) -> KnownFake:
    """One step from a report to the registry: /verify/ answers it as a known fake at once."""
    if not report.normalised:
        raise ReportNotReadable(report.value)
    with transaction.atomic():
        fake, _created = KnownFake.objects.get_or_create(
            kind=report.kind,
            platform=report.platform,
            normalised=report.normalised,
            defaults={
                "value": report.value,
                "reported_at": report.ticket.created_at,
                "report": report.ticket,
                "confirmed_by": actor,
            },
        )
        FakeReport.objects.filter(pk=report.pk).update(confirmed_at=timezone.now())
    return fake


def ticket_flag_known_fakes(*, ticket: Ticket) -> list[KnownFake]:
    """Each known fake the new ticket's text mentions: a warning the customer reads in the
    ticket's language (on its page, in the app, in the chat), and an internal note, the agent's
    badge; in the caller's transaction (tickets.signals.ticket_filed)."""
    from verification.selectors import fakes_mentioned

    first = ticket.messages.order_by("id").values_list("body", flat=True).first() or ""
    fakes = fakes_mentioned(text=f"{ticket.subject} {first}")[:KNOWN_FAKE_WARNINGS_KEPT]
    for fake in fakes:
        params = {"contact": fake.value}
        with translation.override(ticket.language or "en"):
            body = str(KNOWN_FAKE_WARNING) % params
        Message.objects.create(
            ticket=ticket,
            author_kind=AuthorKind.SYSTEM,
            body=body,
            system_line={"key": "known_fake", "params": params},
            channel=ticket.channel,
        )
    if fakes:
        names = ", ".join(f"{fake.value} ({fake.get_kind_display()})" for fake in fakes)
        ticket_services.message_save(
            ticket,
            AuthorKind.SYSTEM,
            _("Known fake mentioned: %(names)s. Warn the customer; never contact it.")
            % {"names": names},
            Channel.WEB,
            [],
            None,
            is_internal=True,
        )
    return fakes
