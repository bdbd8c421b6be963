"""A ticket that names a known fake carries an internal note: the agent's badge on the ticket."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common.page_cache import page_cache_forget
from tickets.signals import ticket_filed
from verification.models import KnownFake, OfficialContact
from verification.services import ticket_flag_known_fakes


@receiver(ticket_filed, dispatch_uid="verification_flag_known_fakes")
def flag_known_fakes(sender, ticket, **kwargs) -> None:
    ticket_flag_known_fakes(ticket=ticket)


# /security/ lists the official contacts and the confirmed fakes, and is served from the cache.
@receiver(post_save, sender=OfficialContact, dispatch_uid="verification_official_saved")
@receiver(post_delete, sender=OfficialContact, dispatch_uid="verification_official_deleted")
@receiver(post_save, sender=KnownFake, dispatch_uid="verification_fake_saved")
@receiver(post_delete, sender=KnownFake, dispatch_uid="verification_fake_deleted")
def forget_security_page(sender, **kwargs) -> None:
    page_cache_forget()
