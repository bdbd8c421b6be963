"""Announcements are read through a cache on every page: any change to one clears it. A ticket
filed while an announcement about its problem is live is tagged with it, for a reply to all."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from announcements.models import Announcement
from announcements.selectors import announcement_cache_clear
from announcements.services import announcement_tag_ticket
from tickets.signals import ticket_filed


@receiver(post_save, sender=Announcement, dispatch_uid="announcements_saved")
@receiver(post_delete, sender=Announcement, dispatch_uid="announcements_deleted")
def clear_announcement_cache(sender, **kwargs) -> None:
    # Now for this process, and again after commit: a page rendered in between could have
    # cached the rows as they were before the change.
    announcement_cache_clear()
    transaction.on_commit(announcement_cache_clear)


@receiver(ticket_filed, dispatch_uid="announcements_tag_new_ticket")
def tag_new_ticket(sender, ticket, **kwargs) -> None:
    announcement_tag_ticket(ticket=ticket)
