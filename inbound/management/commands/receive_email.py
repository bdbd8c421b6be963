"""Receive one email on standard input, as a mail server's pipe delivers it.

For Postfix, an alias such as
    support: "|/srv/wallet-support/.venv/bin/python /srv/wallet-support/manage.py receive_email"
(with the site's environment). Exit codes follow sysexits.h, which mail servers understand:
0 filed or deliberately ignored, 65 not an email (the server bounces it), 75 a temporary
failure (the server keeps the message and tries again later).
"""

import logging
import sys

from django.core.management.base import BaseCommand, CommandError

from inbound import parse as inbound
from inbound.models import InboundEmail
from inbound.services import inbound_email_receive

logger = logging.getLogger(__name__)

EX_DATAERR = 65
EX_TEMPFAIL = 75
_CHUNK_BYTES = 1024 * 1024


class Command(BaseCommand):
    help = "File one email read from standard input as a new ticket or a reply on its ticket."

    def handle(self, *args, **options) -> None:
        stream = sys.stdin.buffer
        raw = stream.read(inbound.MAX_MESSAGE_BYTES + 1)
        size = len(raw)
        # Read the rest of an oversized message without keeping it: the sender is told.
        while chunk := stream.read(_CHUNK_BYTES):
            size += len(chunk)
        try:
            result = inbound_email_receive(raw=raw, size=size)
        except Exception as error:
            # Whatever went wrong, the mail server keeps the message and delivers it again.
            logger.exception("receive_email failed; the mail server will retry")
            raise CommandError(
                f"temporary failure ({type(error).__name__}), try again later",
                returncode=EX_TEMPFAIL,
            ) from error
        if result.outcome == InboundEmail.Outcome.UNREADABLE:
            raise CommandError(
                "not an email message with a valid sender address", returncode=EX_DATAERR
            )
        reference = result.ticket.reference if result.ticket else ""
        seen = " (seen before)" if result.duplicate else ""
        self.stdout.write(f"{result.outcome} {reference}{seen}".replace("  ", " ").strip())
