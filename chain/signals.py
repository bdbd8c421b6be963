"""A new ticket with a hash on a network the desk has a provider for is checked on the chain."""

from django.dispatch import receiver

from chain.services import transaction_check_open
from tickets.signals import ticket_filed


@receiver(ticket_filed, dispatch_uid="chain_check_new_ticket")
def check_new_ticket(sender, ticket, **kwargs) -> None:
    transaction_check_open(ticket=ticket)
