"""Private links to a customer's ticket: a signed token, no account needed.

The token carries the reference and a fingerprint of the ticket's access key, signed with
SECRET_KEY and dated: changing any character breaks the signature, an old link expires after
TICKET_LINK_MAX_AGE_DAYS, and rotating the access key revokes every link sent.
"""

import hashlib
import hmac

from django.conf import settings
from django.core import signing
from django.urls import reverse

from tickets.models import Ticket

SALT = "tickets.private-link"


def _fingerprint(ticket: Ticket) -> str:
    return hashlib.sha256(ticket.access_key.encode()).hexdigest()[:20]


def ticket_token(ticket: Ticket) -> str:
    return signing.dumps({"r": ticket.reference, "k": _fingerprint(ticket)}, salt=SALT)


def ticket_private_url(ticket: Ticket) -> str:
    return reverse("tickets:detail", args=[ticket_token(ticket)])


def ticket_absolute_url(ticket: Ticket) -> str:
    return settings.SUPPORT_SITE_URL.rstrip("/") + ticket_private_url(ticket)


class LinkExpired(Exception):
    """A genuine link that is too old: the customer can ask for a new one."""


def ticket_from_token(token: str) -> Ticket | None:
    """The ticket a private link opens, or None for a forged, altered or revoked one."""
    max_age = settings.TICKET_LINK_MAX_AGE_DAYS * 24 * 60 * 60
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as expired:
        raise LinkExpired from expired
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    ticket = Ticket.objects.filter(reference=payload.get("r")).first()
    if ticket is None or not hmac.compare_digest(str(payload.get("k")), _fingerprint(ticket)):
        return None
    return ticket


EMAIL_PROOF_SALT = "tickets.email_proof"


def email_proof(ticket: Ticket) -> str:
    """A value only the mail to the ticket's address carries: opening the link with it proves
    the address is the customer's (the page after filing shows the link without it)."""
    return (
        signing.Signer(salt=EMAIL_PROOF_SALT)
        .sign(f"{ticket.reference}:{ticket.customer_email.lower()}")
        .rsplit(":", 1)[1]
    )


def email_proof_valid(ticket: Ticket, proof: str) -> bool:
    return hmac.compare_digest(email_proof(ticket), proof or "")


def ticket_mailed_url(ticket: Ticket) -> str:
    """The private link as mailed to the ticket's address, with its proof of the address."""
    return f"{ticket_absolute_url(ticket)}?proof={email_proof(ticket)}"
