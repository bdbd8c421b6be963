"""Writes about service announcements: tagging new tickets, and answering them all at once."""

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from announcements import selectors
from announcements.error_codes import AnnouncementErrorCode
from announcements.models import Announcement
from common.errors import DeskError
from guard.agent_messages import agent_message_problem
from tickets.models import Ticket
from tickets.services import message_post_agent

logger = logging.getLogger(__name__)


class AnnouncementError(DeskError):
    """A request about announcements that is refused, with a message for the agent."""


def announcement_tag_ticket(*, ticket: Ticket) -> list[Announcement]:
    """Tag a just-filed ticket with the live announcements about its problem, for a reply to all.

    Read from the database, not the page cache: a row deleted a moment ago must not be linked.
    """
    live = selectors.announcement_list_live(problem_type=ticket.problem_type, now=ticket.created_at)
    if live:
        ticket.announcements.add(*live)
    return live


def announcement_reply_all(
    *, announcement: Announcement, author: AbstractBaseUser, body: str
) -> int:
    """Send the same agent reply on every tagged ticket still open; returns how many were answered.

    One transaction per ticket, so a failure leaves the replies already sent (and emailed) in
    place; a ticket resolved or closed since the list was read is skipped.
    """
    body = (body or "").strip()
    if not body:
        raise AnnouncementError(
            str(_("Write the reply first: an empty reply cannot be sent.")),
            code=AnnouncementErrorCode.EMPTY_BODY,
        )
    if problem := agent_message_problem(body):
        raise AnnouncementError(problem, code=AnnouncementErrorCode.AGENT_GUARD)
    ticket_ids = list(
        selectors.announcement_open_tickets(announcement=announcement).values_list("pk", flat=True)
    )
    answered = 0
    for ticket_id in ticket_ids:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
            if ticket is None or not ticket.is_open:
                continue
            message_post_agent(ticket=ticket, author=author, body=body)
        answered += 1
    logger.info(
        "reply to all on announcement %s: %d of %d tickets answered",
        announcement.pk,
        answered,
        len(ticket_ids),
    )
    return answered
