"""Writes of the recovery-phrase guard: every entry point refuses and counts a secret here.

A refusal is recorded as its kind and field only (`GuardEvent`, and one warning in the log), so
agents see that a customer was refused without the secret ever being kept anywhere.
"""

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from django.db import transaction
from django.db.models import Model

from common.metrics import metrics_count
from guard.models import GuardEvent
from guard.refusals import Refusal, refuse_secrets

logger = logging.getLogger(__name__)

# `ticket` is a tickets.Ticket: the guard stands below tickets (pyproject.toml), so it names none.


def secrets_refuse(
    values: Mapping[str, object],
    *,
    source: str,
    ticket: Model | None = None,
    customer_email: str = "",
    hash_fields: Iterable[str] = (),
    previous: Sequence[str] = (),
) -> list[Refusal]:
    """The fields holding a secret, already counted, so no entry point can refuse one unseen;
    `previous`: the sender's last messages in the conversation (refusals.refuse_secrets)."""
    refusals = refuse_secrets(values, hash_fields=hash_fields, previous=previous)
    refusals_record(refusals, source=source, ticket=ticket, customer_email=customer_email)
    return refusals


def refusals_record(
    refusals: Iterable[Refusal],
    *,
    source: str,
    ticket: Model | None = None,
    customer_email: str = "",
) -> None:
    """Count refusals already found (kind and field only) so agents see them on the ticket."""
    events = [
        GuardEvent(
            ticket=ticket,
            customer_email=customer_email[:254],
            source=source,
            kind=refusal.kind,
            field=refusal.field[:40],
        )
        for refusal in refusals
    ]
    if not events:
        return
    GuardEvent.objects.bulk_create(events)
    counted = Counter(f"{event.source}:{event.kind}" for event in events)
    transaction.on_commit(
        lambda: [
            metrics_count(series="guard_refusals", label=label, amount=amount)
            for label, amount in counted.items()
        ]
    )
    for event in events:
        logger.warning(
            "guard refused a %s in %s (ticket %s)",
            event.kind,
            event.source,
            ticket.reference if ticket else "-",
        )
