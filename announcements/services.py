"""Writes about service announcements: tagging new tickets, and answering them all at once."""

import logging
import unicodedata
from collections.abc import Mapping

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from announcements import selectors
from announcements.error_codes import AnnouncementErrorCode
from announcements.models import Announcement
from common.errors import DeskError
from common.i18n import language_suffix
from guard.agent_messages import agent_message_problem
from tickets.models import Ticket
from tickets.services import message_post_agent

logger = logging.getLogger(__name__)


def _text_or_nothing(text: str | None) -> str:
    """The text stripped, or "" when it draws nothing (spaces, zero-width characters)."""
    text = (text or "").strip()
    drawn = [char for char in text if unicodedata.category(char) not in {"Cf", "Cc", "Zs"}]
    return text if drawn else ""


REPLY_LANGUAGES = {"en": _("English"), "zh_hans": _("Chinese")}


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
    *, announcement: Announcement, author: AbstractBaseUser, bodies: Mapping[str, str]
) -> int:
    """Send the agent's reply on every tagged ticket still open, each in its customer's language
    (`bodies` by language suffix: "en", "zh_hans"); returns how many were answered.

    Every language an open ticket is written in needs its text, checked before anything is sent.
    One transaction per ticket, so a failure leaves the replies already sent (and emailed) in
    place; a ticket resolved or closed since the list was read is skipped.
    """
    bodies = {suffix: _text_or_nothing(text) for suffix, text in bodies.items()}
    tickets = list(
        selectors.announcement_open_tickets(announcement=announcement).values_list("pk", "language")
    )
    needed = {language_suffix(language) for _pk, language in tickets}
    missing = sorted(suffix for suffix in needed if not bodies.get(suffix))
    if missing or not any(bodies.values()):
        raise AnnouncementError(
            str(
                _("Write the reply in %(languages)s first: an open ticket is written in it.")
                % {"languages": ", ".join(str(REPLY_LANGUAGES[suffix]) for suffix in missing)}
                if missing
                else _("Write the reply first: an empty reply cannot be sent.")
            ),
            code=AnnouncementErrorCode.EMPTY_BODY,
        )
    for body in bodies.values():
        if body and (problem := agent_message_problem(body)):
            raise AnnouncementError(problem, code=AnnouncementErrorCode.AGENT_GUARD)
    answered = 0
    for ticket_id, _language in tickets:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
            if ticket is None or not ticket.is_open:
                continue
            body = bodies[language_suffix(ticket.language)]
            message_post_agent(ticket=ticket, author=author, body=body)
        answered += 1
    logger.info(
        "reply to all on announcement %s: %d of %d tickets answered",
        announcement.pk,
        answered,
        len(tickets),
    )
    return answered
