"""A ticket that names a known fake carries an internal note: the agent's badge on the ticket."""

from django.dispatch import receiver

from tickets.signals import ticket_filed
from verification.services import ticket_flag_known_fakes


@receiver(ticket_filed, dispatch_uid="verification_flag_known_fakes")
def flag_known_fakes(sender, ticket, **kwargs) -> None:
    ticket_flag_known_fakes(ticket=ticket)
