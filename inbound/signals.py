"""A mail threaded to a ticket that is merged away then lands on the ticket it was merged into."""

from django.dispatch import receiver

from inbound.models import InboundEmail
from tickets.signals import tickets_merged


@receiver(tickets_merged, dispatch_uid="inbound_follow_merge")
def follow_merge(sender, target, others, **kwargs) -> None:
    InboundEmail.objects.filter(ticket__in=others).update(ticket=target)
