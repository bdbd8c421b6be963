"""A socket keeps the teams it joined with: a changed membership (saved in the admin's team
inline, whose saves are not ours to call a service from) reconnects the member's sockets."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from agents.models import TeamMembership
from security import sockets


@receiver(post_save, sender=TeamMembership)
@receiver(post_delete, sender=TeamMembership)
def close_sockets_on_team_change(sender, instance, **kwargs) -> None:
    user_id = instance.user_id
    transaction.on_commit(lambda: sockets.sockets_close_for_user(user_id))
