"""Announcements are read through a cache on every page: any change to one clears it."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from announcements.models import Announcement
from announcements.selectors import announcement_cache_clear


@receiver(post_save, sender=Announcement, dispatch_uid="announcements_saved")
@receiver(post_delete, sender=Announcement, dispatch_uid="announcements_deleted")
def clear_announcement_cache(sender, **kwargs) -> None:
    # Now for this process, and again after commit: a page rendered in between could have
    # cached the rows as they were before the change.
    announcement_cache_clear()
    transaction.on_commit(announcement_cache_clear)
