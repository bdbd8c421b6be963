"""Hooks into django.contrib.auth, whose log-out and password views are not ours to call a
service from: ending a log-in closes the sockets it opened, and log-outs are audited."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from security import sockets
from security.audit import Action, audit_record

User = get_user_model()
ACCESS_FIELDS = {"password", "is_active", "is_staff", "is_superuser"}


@receiver(user_logged_out)
def close_sockets_on_logout(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        sockets.sockets_close_for_session(session_key)
    if user is not None and user.is_staff:
        audit_record(Action.LOGOUT, actor=user, request=request)


@receiver(pre_save, sender=User)
def remember_access_before_save(sender, instance, update_fields=None, **kwargs) -> None:
    if instance.pk is None or (update_fields and not ACCESS_FIELDS & set(update_fields)):
        return
    before = User.objects.filter(pk=instance.pk).values(*ACCESS_FIELDS).first()
    instance._access_before_save = before


@receiver(post_save, sender=User)
def close_sockets_on_lost_access(sender, instance, created, **kwargs) -> None:
    before = getattr(instance, "_access_before_save", None)
    instance._access_before_save = None
    if created or before is None:
        return
    lost = (
        before["password"] != instance.password
        or (before["is_active"] and not instance.is_active)
        or (before["is_staff"] and not instance.is_staff)
        or (before["is_superuser"] and not instance.is_superuser)
    )
    if lost:
        user_id = instance.pk
        transaction.on_commit(lambda: sockets.sockets_close_for_user(user_id))


@receiver(post_delete, sender=User)
def close_sockets_on_delete(sender, instance, **kwargs) -> None:
    user_id = instance.pk
    transaction.on_commit(lambda: sockets.sockets_close_for_user(user_id))
